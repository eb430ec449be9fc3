// devloop's debug-node example: an HTTP server (Node's http module only) to
// debug through the inspector under `devloop debug`.
'use strict';
const http = require('http');

let requests = 0;

// A good place for a breakpoint: it runs once per request.
function greeting(n) {
  return `Hello from Node.js ${process.version} (debug-node), request ${n}\n`;
}

http
  .createServer((req, res) => {
    requests += 1;
    res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(greeting(requests));
  })
  .listen(8080, '0.0.0.0', () => console.log('debug-node listening on :8080'));
