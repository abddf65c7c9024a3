#!/usr/bin/env node
// Sends requests one after another on ONE HTTP/2 connection (prior
// knowledge, node's own http2 client) and prints what came back, as JSON.
//   node h2_requests.js ADDRESS REQUESTS_JSON
// Each request: {path, headers: {...}, body_hex, grpc: bool (frame the body
// as one gRPC message), size: n (instead of body_hex: n zero bytes),
// partial: bytes (send only this much of the body, then wait for the
// answer without ending the request)}. Each result: {status, headers,
// trailers, body_hex, early (the answer came while the request was still
// unfinished), rst (the stream's RST_STREAM code, or null)}.
'use strict';
const http2 = require('http2');

const [address, spec] = process.argv.slice(2);
const requests = JSON.parse(spec);
const session = http2.connect(`http://${address}`);
session.on('error', (e) => {
  console.error(`session error: ${e.message}`);
  process.exit(1);
});

function body(r) {
  let b = r.size !== undefined ? Buffer.alloc(r.size) : Buffer.from(r.body_hex || '', 'hex');
  if (r.grpc) {
    const prefix = Buffer.alloc(5);
    prefix.writeUInt32BE(b.length, 1);
    b = Buffer.concat([prefix, b]);
  }
  return b;
}

function send(r) {
  return new Promise((resolve) => {
    const data = body(r);
    const headers = { ':method': 'POST', ':path': r.path, ...r.headers };
    const req = session.request(headers, { endStream: false });
    const out = { status: 0, headers: {}, trailers: {}, body_hex: '', early: false, rst: null };
    let ended = false;
    const chunks = [];
    const timer = setTimeout(() => {
      console.error(`timed out on ${r.path}`);
      process.exit(1);
    }, 20000);
    req.on('response', (h) => {
      out.status = h[':status'];
      out.headers = h;
      out.early = !ended;
    });
    req.on('trailers', (t) => {
      out.trailers = t;
    });
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {}); // a reset shows in rstCode
    req.on('close', () => {
      clearTimeout(timer);
      out.body_hex = Buffer.concat(chunks).toString('hex');
      out.rst = req.rstCode === undefined ? null : req.rstCode;
      resolve(out);
    });
    req.on('end', () => {
      if (!req.closed) req.close(); // a partial upload: we are done with it
    });
    if (r.partial !== undefined) {
      req.write(data.subarray(0, r.partial));
    } else {
      req.end(data, () => {
        ended = true;
      });
    }
  });
}

(async () => {
  const results = [];
  for (const r of requests) results.push(await send(r));
  console.log(JSON.stringify(results));
  session.close();
})();
