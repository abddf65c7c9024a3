#!/usr/bin/env node
// Checks that what send.js sent arrived intact in an exporter:file output
// (OTLP/JSON, one export request per line).
//
//   node check.js expected.json received.jsonl [key=value ...]
//
// With key=value, every resource of the run must also carry that string
// attribute (what df_engine added on the way, e.g. the sender's tenant);
// several may be given.
// Records are matched by the run's tag (a resource attribute and a record
// attribute); every expected log record, span and metric point must appear
// exactly once with the same body, attributes, ids, times, kinds, events,
// status and values. Prints one line per problem and exits 1 if any.
'use strict';

const fs = require('fs');

const [expectedPath, receivedPath, ...required] = process.argv.slice(2);
const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8'));
const problems = [];
const problem = (msg) => problems.push(msg);

// OTLP/JSON AnyValue -> plain JS value (int64 kept exact as BigInt-ish strings).
function anyValue(v) {
  if (!v) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return (v.arrayValue.values || []).map(anyValue);
  if ('kvlistValue' in v) return attrs(v.kvlistValue.values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

function attrs(list) {
  const out = {};
  for (const kv of list || []) out[kv.key] = anyValue(kv.value);
  return out;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);
const hex = (s) => (s || '').toLowerCase();

// Whether a resource belongs to this run; checks the required attributes.
const requiredAttrs = required.map((r) => [r.slice(0, r.indexOf('=')), r.slice(r.indexOf('=') + 1)]);
function ours(resource) {
  const res = attrs(resource && resource.attributes);
  if (res['service.name'] !== expected.tag) return false;
  for (const [reqKey, reqValue] of requiredAttrs) {
    if (res[reqKey] !== reqValue) {
      problem(`a resource has ${reqKey}=${JSON.stringify(res[reqKey])}, want ${JSON.stringify(reqValue)}`);
    }
  }
  return true;
}

const logs = [];
const spans = [];
const points = {}; // metric name -> [{kind, point}]
let lines = 0;
for (const line of fs.readFileSync(receivedPath, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  lines++;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    problem(`line ${lines} is not JSON: ${e.message}`);
    continue;
  }
  for (const rl of req.resourceLogs || []) {
    if (!ours(rl.resource)) continue;
    for (const sl of rl.scopeLogs || []) {
      for (const r of sl.logRecords || []) logs.push({ scope: sl.scope, r });
    }
  }
  for (const rs of req.resourceSpans || []) {
    if (!ours(rs.resource)) continue;
    for (const ss of rs.scopeSpans || []) {
      for (const s of ss.spans || []) spans.push({ scope: ss.scope, s });
    }
  }
  for (const rm of req.resourceMetrics || []) {
    if (!ours(rm.resource)) continue;
    for (const sm of rm.scopeMetrics || []) {
      for (const m of sm.metrics || []) {
        for (const kind of ['sum', 'gauge', 'histogram']) {
          if (!m[kind]) continue;
          for (const dp of m[kind].dataPoints || []) {
            (points[m.name] = points[m.name] || []).push({ kind, dp });
          }
        }
      }
    }
  }
}

// Logs.
if (logs.length !== expected.logs.length) {
  problem(`log records: got ${logs.length}, want ${expected.logs.length}`);
}
for (const want of expected.logs) {
  const got = logs.filter(({ r }) => String(r.timeUnixNano) === want.timeUnixNano);
  if (got.length !== 1) {
    problem(`log at ${want.timeUnixNano}: found ${got.length} times`);
    continue;
  }
  const { r, scope } = got[0];
  if (anyValue(r.body) !== want.body) problem(`log ${want.timeUnixNano}: body ${JSON.stringify(anyValue(r.body))}`);
  if (r.severityNumber !== want.severityNumber) problem(`log ${want.timeUnixNano}: severityNumber ${r.severityNumber}`);
  if (r.severityText !== want.severityText) problem(`log ${want.timeUnixNano}: severityText ${r.severityText}`);
  if (hex(r.traceId) !== want.traceId) problem(`log ${want.timeUnixNano}: traceId ${r.traceId}`);
  if (hex(r.spanId) !== want.spanId) problem(`log ${want.timeUnixNano}: spanId ${r.spanId}`);
  if (!same(attrs(r.attributes), want.attributes)) {
    problem(`log ${want.timeUnixNano}: attributes ${JSON.stringify(attrs(r.attributes))} want ${JSON.stringify(want.attributes)}`);
  }
  if (!scope || scope.name !== 'conformance.logs' || scope.version !== '0.1.0') problem(`log ${want.timeUnixNano}: scope ${JSON.stringify(scope)}`);
}

// Spans.
if (spans.length !== expected.spans.length) {
  problem(`spans: got ${spans.length}, want ${expected.spans.length}`);
}
for (const want of expected.spans) {
  const got = spans.filter(({ s }) => hex(s.spanId) === want.spanId);
  if (got.length !== 1) {
    problem(`span ${want.name}: found ${got.length} times`);
    continue;
  }
  const { s } = got[0];
  const check = (field, value, wantValue) => {
    if (!same(value, wantValue)) problem(`span ${want.name}: ${field} ${JSON.stringify(value)} want ${JSON.stringify(wantValue)}`);
  };
  check('name', s.name, want.name);
  check('traceId', hex(s.traceId), want.traceId);
  check('parentSpanId', hex(s.parentSpanId), want.parentSpanId);
  check('kind', s.kind, want.kind);
  check('startTimeUnixNano', String(s.startTimeUnixNano), want.startTimeUnixNano);
  check('endTimeUnixNano', String(s.endTimeUnixNano), want.endTimeUnixNano);
  check('status.code', (s.status && s.status.code) || 0, want.statusCode);
  check('status.message', (s.status && s.status.message) || '', want.statusMessage);
  check('events', (s.events || []).map((e) => ({ name: e.name, timeUnixNano: String(e.timeUnixNano) })), want.events);
  check('links', (s.links || []).length, want.links);
}

// Metrics.
for (const m of expected.metrics) {
  const got = points[m.name] || [];
  if (!got.length) {
    problem(`metric ${m.name}: missing`);
    continue;
  }
  for (const wp of m.points) {
    const match = got.find(({ kind, dp }) => {
      if (kind !== m.kind) return false;
      const a = attrs(dp.attributes);
      if (wp.route && a.route !== wp.route) return false;
      if (kind === 'histogram') return Number(dp.count) === wp.count && dp.sum === wp.sum;
      const value = 'asInt' in dp ? Number(dp.asInt) : dp.asDouble;
      return value === wp.value;
    });
    if (!match) problem(`metric ${m.name}: no ${m.kind} point like ${JSON.stringify(wp)}; got ${JSON.stringify(got.map((g) => g.dp))}`);
  }
}

for (const p of problems) console.log(`FAIL ${expected.tag}: ${p}`);
if (problems.length) process.exit(1);
console.log(`ok ${expected.tag}: ${logs.length} log records, ${spans.length} spans, ${Object.keys(points).length} metrics in ${lines} requests`);
