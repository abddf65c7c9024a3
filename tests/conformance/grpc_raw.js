#!/usr/bin/env node
// Sends one raw gRPC unary call with grpc-js and prints its status code.
//   node grpc_raw.js ADDRESS METHOD_PATH HEX_BYTES
// The message is sent as is (no serialisation), so tests can send bytes that
// are not a valid request.
'use strict';
const grpc = require('@grpc/grpc-js');

const [address, path, hex] = process.argv.slice(2);
const client = new grpc.Client(address, grpc.credentials.createInsecure());
const identity = (b) => b;
client.makeUnaryRequest(path, identity, identity, Buffer.from(hex || '', 'hex'), (err) => {
  console.log(JSON.stringify({ code: err ? err.code : 0, details: err ? err.details : '' }));
  client.close();
});
