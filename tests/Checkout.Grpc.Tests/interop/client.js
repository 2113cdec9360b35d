// Makes one call with grpc-js and prints its outcome as JSON on stdout.
// Usage: echo '<json>' | node client.js, with {address, path, request?, rawRequest? (base64, sent as the message bytes
// as they are), metadata? {key: "text" | {"base64": "..."} for -bin keys}, deadlineMs?}.
// Prints {code, details, response | responses, headers, trailers}; metadata values are strings, -bin values base64.
'use strict';
const grpc = require('@grpc/grpc-js');
const { findMethod } = require('./protos');

const spec = JSON.parse(require('fs').readFileSync(0, 'utf8'));
// However the test that started us ends, we do not outlive it by much.
setTimeout(() => process.exit(3), 60000).unref();
const identity = (b) => b;
const method = findMethod(spec.path);
const raw = spec.rawRequest != null || method === undefined;
const serialize = raw ? identity : method.requestSerialize;
const deserialize = raw ? (b) => b.toString('base64') : method.responseDeserialize;
const request = spec.rawRequest != null ? Buffer.from(spec.rawRequest, 'base64') : (raw ? Buffer.alloc(0) : spec.request || {});

const metadata = new grpc.Metadata();
for (const [key, value] of Object.entries(spec.metadata || {})) {
  metadata.add(key, typeof value === 'string' ? value : Buffer.from(value.base64, 'base64'));
}
const options = spec.deadlineMs ? { deadline: new Date(Date.now() + spec.deadlineMs) } : {};

function toJson(md) {
  if (!md) return {};
  const result = {};
  for (const [key, value] of Object.entries(md.getMap())) {
    result[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return result;
}

const client = new grpc.Client(spec.address, grpc.credentials.createInsecure(), {
  'grpc.max_send_message_length': -1,
});
const outcome = { headers: {} };
// The 'status' event comes last (after the callback, 'end' or 'error'): the outcome is complete there.
function finish(status) {
  outcome.code = status.code;
  outcome.details = status.details;
  outcome.trailers = toJson(status.metadata);
  process.stdout.write(JSON.stringify(outcome) + '\n');
  client.close();
}

let call;
if (method && method.responseStream) {
  outcome.responses = [];
  call = client.makeServerStreamRequest(spec.path, serialize, deserialize, request, metadata, options);
  call.on('data', (message) => outcome.responses.push(message));
  call.on('error', () => { /* reported by 'status' */ });
} else {
  call = client.makeUnaryRequest(spec.path, serialize, deserialize, request, metadata, options, (error, response) => {
    outcome.response = response;
  });
}
call.on('metadata', (md) => { outcome.headers = toJson(md); });
call.on('status', finish);
