// One person edits a message of theirs every 20 ms for `seconds` and prints the
// edits' ack latency (see edits-under-load.sh).
import { createRequire } from "module";
const require = createRequire(new URL("../frontend/node_modules/", import.meta.url));
const { io } = require("socket.io-client");
const [addr, seconds] = [process.argv[2], Number(process.argv[3])];
const base = `http://${addr}`;
async function signup(name) {
  const r = await fetch(`${base}/api/auth/signup`, { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: name, password: "a long password 123" }) });
  return (await r.json()).token;
}
const suffix = Math.floor(Math.random() * 1e6);
const a = await signup(`edA${suffix}`); await signup(`edB${suffix}`);
const s = io(base, { auth: { token: a }, transports: ["websocket"] });
await new Promise((r) => s.on("connect", r));
const chat = await s.timeout(5000).emitWithAck("createChat", { kind: "direct", members: [`edB${suffix}`] });
const chatId = (chat.ok ?? chat).id;
const sent = await s.timeout(5000).emitWithAck("sendMessage", { chatId, clientId: crypto.randomUUID(), body: "first" });
const messageId = (sent.ok ?? sent).id;
const lat = []; let errors = 0; const end = Date.now() + seconds * 1000; let k = 0;
while (Date.now() < end) {
  const t = performance.now();
  const r = await s.timeout(10000).emitWithAck("editMessage", { chatId, messageId, body: `edit ${k++}` });
  if (r.error) errors++; else lat.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 20));
}
lat.sort((x, y) => x - y);
const p = (q) => lat[Math.min(lat.length - 1, Math.floor(lat.length * q))].toFixed(2);
console.log(`edits ${lat.length} errors ${errors} p50 ${p(0.5)} p90 ${p(0.9)} p99 ${p(0.99)} max ${lat[lat.length - 1].toFixed(2)} ms`);
process.exit(0);
