// The benchmark's hello world as plain JavaScript: a Node.js boot per request, but no TypeScript loader.
process.stdout.write('Content-Type: text/plain; charset=utf-8\r\n\r\nHello, world!\n');
