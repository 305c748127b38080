// A CGI script in TypeScript: reads the POST body from stdin, answers JSON. Started through tsx, so every
// request pays for a Node.js boot plus the TypeScript loader (see the timings the stage prints).
const chunks: Buffer[] = [];
for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
const body = Buffer.concat(chunks).toString('utf8');

const reply = {
  pid: process.pid,
  method: process.env.REQUEST_METHOD,
  contentType: process.env.CONTENT_TYPE ?? null,
  contentLength: process.env.CONTENT_LENGTH ?? null,
  fields: Object.fromEntries(new URLSearchParams(body)),
};
process.stdout.write('Status: 201 Created\r\nContent-Type: application/json\r\n\r\n');
process.stdout.write(`${JSON.stringify(reply, null, 2)}\n`);
export {};
