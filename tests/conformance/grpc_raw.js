#!/usr/bin/env node
// Sends one raw gRPC unary call with grpc-js and prints its status code.
//   node grpc_raw.js ADDRESS METHOD_PATH HEX_BYTES
// The message is sent as is (no serialisation), so tests can send bytes that
// are not a valid request. With GRPC_CA (and GRPC_CERT + GRPC_KEY for a
// client certificate) in the environment the call uses TLS; GRPC_METADATA
// (a JSON object) adds request metadata, e.g. {"authorization": "Bearer t"}.
'use strict';
const fs = require('fs');
const grpc = require('@grpc/grpc-js');

const [address, path, hex] = process.argv.slice(2);
const env = process.env;
const read = (f) => (f ? fs.readFileSync(f) : null);
const creds = env.GRPC_CA
  ? grpc.credentials.createSsl(read(env.GRPC_CA), read(env.GRPC_KEY), read(env.GRPC_CERT))
  : grpc.credentials.createInsecure();
const client = new grpc.Client(address, creds, { 'grpc.ssl_target_name_override': 'localhost' });
const identity = (b) => b;
const metadata = new grpc.Metadata();
for (const [k, v] of Object.entries(JSON.parse(env.GRPC_METADATA || '{}'))) metadata.add(k, v);
client.makeUnaryRequest(path, identity, identity, Buffer.from(hex || '', 'hex'), metadata, (err) => {
  console.log(JSON.stringify({ code: err ? err.code : 0, details: err ? err.details : '' }));
  client.close();
});
