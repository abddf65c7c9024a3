/* A small PKI for TLS tests, written as PEM files under a fresh mkdtemp
 * folder by test_pki_setup:
 *   ca.pem                     a CA (O=df, CN=df test CA)
 *   server.pem / server.key    issued by it for DNS:localhost, IP:127.0.0.1
 *   client.pem / client.key    a client certificate (URI, email and DNS SANs)
 *   other.pem                  a second CA; stray.pem / stray.key, its client
 *   self.pem / self.key        a self-signed server certificate
 *   expired.pem / expired.key  an expired server certificate from the CA
 *   junk.pem, empty.pem        not certificates; enc.key an encrypted key
 * Not thread-safe; one PKI at a time. */
#ifndef DF_TEST_PKI_H
#define DF_TEST_PKI_H

/* Makes the PKI; 0, or -1 when anything failed. */
int test_pki_setup(void);

/* Removes the files and the folder; 0 or -1. */
int test_pki_teardown(void);

/* The path of one of the files (a few rotating static buffers). */
const char *test_pki_path(const char *name);

#endif
