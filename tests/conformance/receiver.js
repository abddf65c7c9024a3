#!/usr/bin/env node
// An OTLP receiver built from the JS SDK's own packages, for the reverse
// direction of the conformance test: df_engine's exporters deliver to it.
// gRPC with @grpc/grpc-js, OTLP/HTTP with Node's http module; requests are
// decoded with protobufjs (the SDK's protobuf library) from a schema written
// here from the OTLP v1 protos' field numbers, and written to --out as
// OTLP/JSON lines (hex ids, 64-bit integers as strings), which check.js reads.
//
//   node receiver.js --grpc-port N --http-port M --out received.jsonl
// Prints "listening" once both servers are up.
'use strict';

const fs = require('fs');
const http = require('http');
const zlib = require('zlib');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');

const f = (id, type, rule) => (rule ? { id, type, rule } : { id, type });
const rep = (id, type) => f(id, type, 'repeated');
const schema = {
  nested: {
    AnyValue: {
      oneofs: { value: { oneof: ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'] } },
      fields: {
        stringValue: f(1, 'string'), boolValue: f(2, 'bool'), intValue: f(3, 'int64'),
        doubleValue: f(4, 'double'), arrayValue: f(5, 'ArrayValue'), kvlistValue: f(6, 'KeyValueList'),
        bytesValue: f(7, 'bytes'),
      },
    },
    ArrayValue: { fields: { values: rep(1, 'AnyValue') } },
    KeyValueList: { fields: { values: rep(1, 'KeyValue') } },
    KeyValue: { fields: { key: f(1, 'string'), value: f(2, 'AnyValue') } },
    Scope: { fields: { name: f(1, 'string'), version: f(2, 'string'), attributes: rep(3, 'KeyValue'), droppedAttributesCount: f(4, 'uint32') } },
    Resource: { fields: { attributes: rep(1, 'KeyValue'), droppedAttributesCount: f(2, 'uint32') } },
    LogsRequest: { fields: { resourceLogs: rep(1, 'ResourceLogs') } },
    ResourceLogs: { fields: { resource: f(1, 'Resource'), scopeLogs: rep(2, 'ScopeLogs'), schemaUrl: f(3, 'string') } },
    ScopeLogs: { fields: { scope: f(1, 'Scope'), logRecords: rep(2, 'LogRecord'), schemaUrl: f(3, 'string') } },
    LogRecord: {
      fields: {
        timeUnixNano: f(1, 'fixed64'), observedTimeUnixNano: f(11, 'fixed64'), severityNumber: f(2, 'int32'),
        severityText: f(3, 'string'), body: f(5, 'AnyValue'), attributes: rep(6, 'KeyValue'),
        droppedAttributesCount: f(7, 'uint32'), flags: f(8, 'fixed32'), traceId: f(9, 'bytes'), spanId: f(10, 'bytes'),
        eventName: f(12, 'string'),
      },
    },
    TracesRequest: { fields: { resourceSpans: rep(1, 'ResourceSpans') } },
    ResourceSpans: { fields: { resource: f(1, 'Resource'), scopeSpans: rep(2, 'ScopeSpans'), schemaUrl: f(3, 'string') } },
    ScopeSpans: { fields: { scope: f(1, 'Scope'), spans: rep(2, 'Span'), schemaUrl: f(3, 'string') } },
    Span: {
      fields: {
        traceId: f(1, 'bytes'), spanId: f(2, 'bytes'), traceState: f(3, 'string'), parentSpanId: f(4, 'bytes'),
        flags: f(16, 'fixed32'), name: f(5, 'string'), kind: f(6, 'int32'), startTimeUnixNano: f(7, 'fixed64'),
        endTimeUnixNano: f(8, 'fixed64'), attributes: rep(9, 'KeyValue'), droppedAttributesCount: f(10, 'uint32'),
        events: rep(11, 'Event'), droppedEventsCount: f(12, 'uint32'), links: rep(13, 'Link'),
        droppedLinksCount: f(14, 'uint32'), status: f(15, 'Status'),
      },
    },
    Event: { fields: { timeUnixNano: f(1, 'fixed64'), name: f(2, 'string'), attributes: rep(3, 'KeyValue'), droppedAttributesCount: f(4, 'uint32') } },
    Link: { fields: { traceId: f(1, 'bytes'), spanId: f(2, 'bytes'), traceState: f(3, 'string'), attributes: rep(4, 'KeyValue'), droppedAttributesCount: f(5, 'uint32'), flags: f(6, 'fixed32') } },
    Status: { fields: { message: f(2, 'string'), code: f(3, 'int32') } },
    MetricsRequest: { fields: { resourceMetrics: rep(1, 'ResourceMetrics') } },
    ResourceMetrics: { fields: { resource: f(1, 'Resource'), scopeMetrics: rep(2, 'ScopeMetrics'), schemaUrl: f(3, 'string') } },
    ScopeMetrics: { fields: { scope: f(1, 'Scope'), metrics: rep(2, 'Metric'), schemaUrl: f(3, 'string') } },
    Metric: {
      fields: {
        name: f(1, 'string'), description: f(2, 'string'), unit: f(3, 'string'), gauge: f(5, 'Gauge'), sum: f(7, 'Sum'),
        histogram: f(9, 'Histogram'), exponentialHistogram: f(10, 'ExpHistogram'), summary: f(11, 'Summary'),
        metadata: rep(12, 'KeyValue'),
      },
    },
    Gauge: { fields: { dataPoints: rep(1, 'NumberDataPoint') } },
    Sum: { fields: { dataPoints: rep(1, 'NumberDataPoint'), aggregationTemporality: f(2, 'int32'), isMonotonic: f(3, 'bool') } },
    Histogram: { fields: { dataPoints: rep(1, 'HistogramDataPoint'), aggregationTemporality: f(2, 'int32') } },
    ExpHistogram: { fields: { dataPoints: rep(1, 'ExpHistogramDataPoint'), aggregationTemporality: f(2, 'int32') } },
    Summary: { fields: { dataPoints: rep(1, 'SummaryDataPoint') } },
    NumberDataPoint: {
      fields: {
        attributes: rep(7, 'KeyValue'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'),
        asDouble: f(4, 'double'), asInt: f(6, 'sfixed64'), exemplars: rep(5, 'Exemplar'), flags: f(8, 'uint32'),
      },
    },
    HistogramDataPoint: {
      fields: {
        attributes: rep(9, 'KeyValue'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'),
        count: f(4, 'fixed64'), sum: f(5, 'double'), bucketCounts: rep(6, 'fixed64'), explicitBounds: rep(7, 'double'),
        exemplars: rep(8, 'Exemplar'), flags: f(10, 'uint32'), min: f(11, 'double'), max: f(12, 'double'),
      },
    },
    ExpHistogramDataPoint: {
      fields: {
        attributes: rep(1, 'KeyValue'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'),
        count: f(4, 'fixed64'), sum: f(5, 'double'), scale: f(6, 'sint32'), zeroCount: f(7, 'fixed64'),
        positive: f(8, 'Buckets'), negative: f(9, 'Buckets'), flags: f(10, 'uint32'), exemplars: rep(11, 'Exemplar'),
        min: f(12, 'double'), max: f(13, 'double'), zeroThreshold: f(14, 'double'),
      },
    },
    Buckets: { fields: { offset: f(1, 'sint32'), bucketCounts: rep(2, 'uint64') } },
    SummaryDataPoint: {
      fields: {
        attributes: rep(7, 'KeyValue'), startTimeUnixNano: f(2, 'fixed64'), timeUnixNano: f(3, 'fixed64'),
        count: f(4, 'fixed64'), sum: f(5, 'double'), quantileValues: rep(6, 'ValueAtQuantile'), flags: f(8, 'uint32'),
      },
    },
    ValueAtQuantile: { fields: { quantile: f(1, 'double'), value: f(2, 'double') } },
    Exemplar: {
      fields: {
        filteredAttributes: rep(7, 'KeyValue'), timeUnixNano: f(2, 'fixed64'), asDouble: f(3, 'double'),
        asInt: f(6, 'sfixed64'), spanId: f(4, 'bytes'), traceId: f(5, 'bytes'),
      },
    },
  },
};

const root = protobuf.Root.fromJSON(schema);
const types = {
  logs: root.lookupType('LogsRequest'),
  metrics: root.lookupType('MetricsRequest'),
  traces: root.lookupType('TracesRequest'),
};

const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

// protobufjs' object form -> OTLP/JSON: ids from base64 to hex.
function hexIds(v) {
  if (Array.isArray(v)) return v.map(hexIds);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) {
      out[k] = ID_KEYS.has(k) && typeof x === 'string' ? Buffer.from(x, 'base64').toString('hex') : hexIds(x);
    }
    return out;
  }
  return v;
}

function args() {
  const a = {};
  for (let i = 2; i < process.argv.length; i += 2) a[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  return a;
}

const a = args();
const out = fs.openSync(a.out, 'a');
let failures = 0;

function record(signal, bytes) {
  const msg = types[signal].decode(bytes);
  const obj = types[signal].toObject(msg, { longs: String, enums: Number, bytes: String, defaults: false });
  fs.writeSync(out, JSON.stringify(hexIds(obj)) + '\n');
}

// gRPC: the three Export methods, messages as raw buffers.
const server = new grpc.Server();
const raw = { path: '', requestStream: false, responseStream: false, requestSerialize: (b) => b,
  requestDeserialize: (b) => b, responseSerialize: (b) => b, responseDeserialize: (b) => b };
const services = { logs: 'logs.v1.LogsService', metrics: 'metrics.v1.MetricsService', traces: 'trace.v1.TraceService' };
for (const [signal, svc] of Object.entries(services)) {
  const path = `/opentelemetry.proto.collector.${svc}/Export`;
  server.addService({ Export: { ...raw, path } }, {
    Export: (call, done) => {
      try {
        record(signal, call.request);
        done(null, Buffer.alloc(0));
      } catch (e) {
        failures++;
        done({ code: grpc.status.INVALID_ARGUMENT, details: String(e) });
      }
    },
  });
}

// OTLP/HTTP: protobuf or JSON bodies, gzip or zstd-less identity.
const web = http.createServer((req, res) => {
  const signal = { '/v1/logs': 'logs', '/v1/metrics': 'metrics', '/v1/traces': 'traces' }[req.url];
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    try {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
      if (!signal) throw new Error(`unknown path ${req.url}`);
      if ((req.headers['content-type'] || '').startsWith('application/json')) {
        fs.writeSync(out, JSON.stringify(JSON.parse(body.toString('utf8'))) + '\n');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      } else {
        record(signal, body);
        res.writeHead(200, { 'content-type': 'application/x-protobuf' });
        res.end();
      }
    } catch (e) {
      failures++;
      res.writeHead(400);
      res.end(String(e));
    }
  });
});

server.bindAsync(`127.0.0.1:${a['grpc-port']}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) throw err;
  web.listen(Number(a['http-port']), '127.0.0.1', () => console.log('listening'));
});
process.on('SIGTERM', () => {
  server.forceShutdown();
  web.close();
  process.exit(failures ? 1 : 0);
});
