#!/usr/bin/env node
// Sends logs, spans and metrics with the OpenTelemetry JS SDK's own OTLP
// exporters, then writes what it sent (as plain JSON) for check.js.
//
//   node send.js --transport grpc|proto|http --endpoint http://127.0.0.1:4317 \
//                --expected out.json [--tag name] [--authorization VALUE] \
//                [--resource key=value,key=value]
//
// grpc uses the OTLP/gRPC exporters (endpoint = the gRPC address); proto and
// http use OTLP/HTTP with protobuf and JSON bodies (endpoint = the base URL,
// /v1/<signal> appended). Every record carries the tag in its attributes so
// that check.js can pick this run's records out of a shared file. With
// --authorization, every request carries that Authorization header (gRPC
// metadata for grpc). With --resource, the resource also carries those
// string attributes (e.g. host.name=web-1). Exits 1 when df_engine refused
// an export.
'use strict';

const api = require('@opentelemetry/api');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { LoggerProvider, SimpleLogRecordProcessor } = require('@opentelemetry/sdk-logs');
const { BasicTracerProvider, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { MeterProvider, PeriodicExportingMetricReader } = require('@opentelemetry/sdk-metrics');
const fs = require('fs');

function args() {
  const out = {};
  for (let i = 2; i < process.argv.length; i += 2) {
    out[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
  }
  for (const k of ['transport', 'endpoint', 'expected']) {
    if (!out[k]) throw new Error(`missing --${k}`);
  }
  out.tag = out.tag || `conformance-${out.transport}`;
  out.resourceAttributes = {};
  for (const pair of (out.resource || '').split(',').filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--resource wants key=value pairs, got ${pair}`);
    out.resourceAttributes[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function exporters(transport, endpoint, authorization) {
  const pkg = { grpc: 'grpc', proto: 'proto', http: 'http' }[transport];
  if (!pkg) throw new Error(`unknown transport ${transport}`);
  const config = (signal) => {
    const c = { url: transport === 'grpc' ? endpoint : `${endpoint}/v1/${signal}` };
    if (authorization && transport === 'grpc') {
      const { Metadata } = require('@grpc/grpc-js');
      c.metadata = new Metadata();
      c.metadata.set('authorization', authorization);
    } else if (authorization) {
      c.headers = { Authorization: authorization };
    }
    return c;
  };
  const { OTLPLogExporter } = require(`@opentelemetry/exporter-logs-otlp-${pkg}`);
  const { OTLPTraceExporter } = require(`@opentelemetry/exporter-trace-otlp-${pkg}`);
  const { OTLPMetricExporter } = require(`@opentelemetry/exporter-metrics-otlp-${pkg}`);
  return {
    logs: watch(new OTLPLogExporter(config('logs')), 'logs'),
    traces: watch(new OTLPTraceExporter(config('traces')), 'traces'),
    metrics: watch(new OTLPMetricExporter(config('metrics')), 'metrics'),
  };
}

// Exporters report failure only through their callback: count failures so
// that a run where df_engine refused something fails loudly.
const failures = [];
function watch(exporter, signal) {
  const exportFn = exporter.export.bind(exporter);
  exporter.export = (items, done) => exportFn(items, (result) => {
    if (result.code !== 0) failures.push(`${signal}: ${result.error ? result.error.message : 'failed'}`);
    done(result);
  });
  return exporter;
}

// Nanoseconds since the epoch as a decimal string, from an [s, ns] pair.
const nanos = ([s, ns]) => (BigInt(s) * 1000000000n + BigInt(ns)).toString();

async function main() {
  const a = args();
  const ex = exporters(a.transport, a.endpoint, a.authorization);
  const resource = resourceFromAttributes({
    'service.name': a.tag,
    'service.version': '1.2.3',
    'host.cores': 2,
    ...a.resourceAttributes,
  });
  const expected = {
    tag: a.tag, resource: { 'service.name': a.tag, ...a.resourceAttributes }, logs: [], spans: [], metrics: [],
  };
  const base = [1767225600, 123456789]; // 2026-01-01T00:00:00.123456789Z

  // Logs: every AnyValue kind, severities, trace context, explicit times.
  const lp = new LoggerProvider({ resource, processors: [new SimpleLogRecordProcessor({ exporter: ex.logs })] });
  const logger = lp.getLogger('conformance.logs', '0.1.0');
  const bodies = ['plain text', 'unicode: héllo wörld ✓ 日本', 'quotes " and \\ backslash\nnewline'];
  for (let i = 0; i < 6; i++) {
    const traceId = (i + 1).toString(16).padStart(32, 'a');
    const spanId = (i + 1).toString(16).padStart(16, 'b');
    const ctx = api.trace.setSpanContext(api.context.active(), {
      traceId, spanId, traceFlags: api.TraceFlags.SAMPLED,
    });
    const time = [base[0] + i, base[1]];
    const attributes = {
      tag: a.tag, index: i, ratio: i / 4, ok: i % 2 === 0,
      list: ['x', String(i)], big: 9007199254740991 - i,
    };
    const body = bodies[i % bodies.length];
    logger.emit({
      timestamp: time, observedTimestamp: time, severityNumber: 9 + i, severityText: `S${i}`,
      body, attributes, context: ctx,
    });
    expected.logs.push({
      body, severityNumber: 9 + i, severityText: `S${i}`, timeUnixNano: nanos(time),
      traceId, spanId, attributes,
    });
  }
  await lp.forceFlush();
  await lp.shutdown();

  // Spans: kinds, parent/child, events, links, status, explicit times.
  const tp = new BasicTracerProvider({ resource, spanProcessors: [new SimpleSpanProcessor(ex.traces)] });
  const tracer = tp.getTracer('conformance.traces', '0.1.0');
  const parent = tracer.startSpan('parent', {
    kind: api.SpanKind.SERVER, startTime: base, attributes: { tag: a.tag, 'http.method': 'POST' },
  });
  const pctx = api.trace.setSpan(api.context.active(), parent);
  const spans = [parent];
  for (let i = 0; i < 3; i++) {
    const child = tracer.startSpan(`child-${i}`, {
      kind: [api.SpanKind.CLIENT, api.SpanKind.INTERNAL, api.SpanKind.PRODUCER][i],
      startTime: [base[0], base[1] + 1000 * (i + 1)],
      attributes: { tag: a.tag, index: i },
      links: [{ context: parent.spanContext(), attributes: { reason: 'link' } }],
    }, pctx);
    child.addEvent('step', { n: i }, [base[0], base[1] + 1500 * (i + 1)]);
    if (i === 1) child.setStatus({ code: api.SpanStatusCode.ERROR, message: 'boom' });
    spans.push(child);
  }
  for (let i = spans.length - 1; i >= 0; i--) spans[i].end([base[0] + 1, base[1]]);
  for (const s of spans) {
    const sc = s.spanContext();
    expected.spans.push({
      name: s.name, traceId: sc.traceId, spanId: sc.spanId,
      parentSpanId: s === parent ? '' : parent.spanContext().spanId,
      kind: s.kind + 1, // OTLP's SpanKind is the API's plus one
      startTimeUnixNano: nanos(s.startTime), endTimeUnixNano: nanos(s.endTime),
      statusCode: s.status.code, statusMessage: s.status.message || '',
      events: s.events.map((e) => ({ name: e.name, timeUnixNano: nanos(e.time) })),
      links: s.links.length,
    });
  }
  await tp.forceFlush();
  await tp.shutdown();

  // Metrics: a counter, an up-down counter, a histogram and a gauge.
  const reader = new PeriodicExportingMetricReader({ exporter: ex.metrics, exportIntervalMillis: 3600000 });
  const mp = new MeterProvider({ resource, readers: [reader] });
  const meter = mp.getMeter('conformance.metrics', '0.1.0');
  const counter = meter.createCounter('conformance.requests');
  counter.add(5, { tag: a.tag, route: '/a' });
  counter.add(7, { tag: a.tag, route: '/b' });
  const updown = meter.createUpDownCounter('conformance.queue');
  updown.add(10, { tag: a.tag });
  updown.add(-3, { tag: a.tag });
  const hist = meter.createHistogram('conformance.latency', { unit: 'ms' });
  for (const v of [1, 5, 50, 500]) hist.record(v, { tag: a.tag });
  const gauge = meter.createGauge('conformance.temperature');
  gauge.record(21.5, { tag: a.tag });
  await mp.forceFlush();
  await mp.shutdown();
  expected.metrics = [
    { name: 'conformance.requests', kind: 'sum', points: [{ route: '/a', value: 5 }, { route: '/b', value: 7 }] },
    { name: 'conformance.queue', kind: 'sum', points: [{ value: 7 }] },
    { name: 'conformance.latency', kind: 'histogram', points: [{ count: 4, sum: 556 }] },
    { name: 'conformance.temperature', kind: 'gauge', points: [{ value: 21.5 }] },
  ];

  fs.writeFileSync(a.expected, JSON.stringify(expected, null, 2));
  if (failures.length) throw new Error(`exports failed: ${failures.join('; ')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
