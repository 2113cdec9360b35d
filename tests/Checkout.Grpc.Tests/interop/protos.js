// Loads the test echo service as the C# side compiles it (Protos/echo.proto).
'use strict';
const path = require('path');
const protoLoader = require('@grpc/proto-loader');

const definition = protoLoader.loadSync(
  ['echo.proto'],
  {
    includeDirs: [path.join(__dirname, '..', 'Protos')],
    keepCase: false,
    longs: String,
    enums: String,
    bytes: String, // base64, so that results print as JSON
    defaults: true,
  });

// Finds a method by its HTTP/2 path, "/package.Service/Method".
function findMethod(methodPath) {
  for (const name of Object.keys(definition)) {
    const service = definition[name];
    if (typeof service !== 'object' || service.format) continue;
    for (const method of Object.values(service)) {
      if (method.path === methodPath) return method;
    }
  }
  return undefined;
}

module.exports = { definition, findMethod };
