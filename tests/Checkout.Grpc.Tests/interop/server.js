// A grpc-js server of the test echo service: the real peer for our client's tests and for the benchmark.
// Usage: node server.js [port]  (0 or none = a free port). Prints {"port": N} once it listens, then for each Wait
// call {"waiting": message} when it arrives and {"cancelled": message} when the client's deadline or cancellation ends it.
'use strict';
const grpc = require('@grpc/grpc-js');
const { definition } = require('./protos');

const service = definition['checkout.testing.v1.EchoService'];

const handlers = {
  echo: (call, callback) => callback(null, { message: call.request.message, payloadLength: Buffer.from(call.request.payload, 'base64').length }),
  fail: (call, callback) => {
    const trailers = new grpc.Metadata();
    trailers.add('x-failure', 'failed on purpose');
    trailers.add('x-failure-bin', Buffer.from([0, 1, 2, 255]));
    callback({ code: call.request.statusCode, details: call.request.message, metadata: trailers });
  },
  throw: (call, callback) => callback(new Error('grpc-js handler error')),
  // Never answers: the caller's deadline or cancellation ends the call, which is reported so a test can see it arrive.
  wait: (call) => {
    process.stdout.write(JSON.stringify({ waiting: call.request.message }) + '\n');
    call.on('cancelled', () => process.stdout.write(JSON.stringify({ cancelled: call.request.message }) + '\n'));
  },
  metadata: (call, callback) => {
    const headers = new grpc.Metadata();
    const trailers = new grpc.Metadata();
    for (const [key, value] of Object.entries(call.metadata.getMap())) {
      if (!key.startsWith('x-')) continue;
      headers.add('x-header-' + key, value);
      trailers.add('x-trailer-' + key, value);
    }
    call.sendMetadata(headers);
    callback(null, { message: call.request.message }, trailers);
  },
  count: (call) => {
    for (let i = 0; i < call.request.count; i++) call.write({ message: String(i) });
    if (call.request.statusCode) call.emit('error', { code: call.request.statusCode, details: call.request.message });
    else call.end();
  },
};

const server = new grpc.Server();
server.addService(service, handlers);
const port = process.argv[2] || '0';
server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
  if (error) {
    process.stderr.write(`bind failed: ${error.message}\n`);
    process.exit(1);
  }
  process.stdout.write(JSON.stringify({ port: boundPort }) + '\n');
});
// The test or benchmark that started us ends us by closing stdin (or killing us).
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
