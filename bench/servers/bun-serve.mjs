// Bun.serve with the same responses as the wasgi apps: bun bench/servers/bun-serve.mjs PORT MODE
// MODE: hello | echo | big.
const [port, mode = 'hello'] = process.argv.slice(2);
const HELLO = Buffer.from('hello');
const BIG = Buffer.alloc(65536, 'x');
const TEXT = { 'Content-Type': 'text/plain' };

const handlers = {
  hello: () => new Response(HELLO, { headers: TEXT }),
  big: () => new Response(BIG, { headers: TEXT }),
  echo: async (request) => new Response(await request.arrayBuffer(), { headers: { 'Content-Type': request.headers.get('content-type') ?? 'application/octet-stream' } }),
};
const fetch = handlers[mode];
if (!fetch) throw new Error(`unknown mode ${mode}`);
const server = Bun.serve({ hostname: '127.0.0.1', port: Number(port), fetch });
process.stdout.write(`${JSON.stringify({ server: 'bun', port: server.port, pid: process.pid })}\n`);
process.on('SIGTERM', () => process.exit(0));
