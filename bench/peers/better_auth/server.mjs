// better-auth's organization plugin on SQLite (better-sqlite3), served by node:http.
// `node server.mjs seed N` creates the schema, an organization with N members and prints
// {"token", "path"} for a plain member; `node server.mjs serve` serves it on PEER_PORT.
import http from "node:http";
import Database from "better-sqlite3";
import { betterAuth } from "better-auth";
import { getMigrations } from "better-auth/db/migration";
import { toNodeHandler } from "better-auth/node";
import { bearer, organization } from "better-auth/plugins";

const port = Number(process.env.PEER_PORT || 8733);
const db = new Database(process.env.PEER_DB || "peer.sqlite3");
db.pragma("journal_mode = WAL");
const auth = betterAuth({
  database: db,
  secret: "bench-only-not-a-secret-bench-only-not-a-secret",
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: { enabled: true },
  // Benchmarks send hundreds of requests a second from one address.
  rateLimit: { enabled: false },
  plugins: [organization({ membershipLimit: 10_000_000 }), bearer()],
  logger: { disabled: true },
});

async function seed(members) {
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();
  const tokens = [];
  for (let i = 0; i < members; i++) {
    const email = `member${String(i).padStart(7, "0")}@bench.example`;
    const result = await auth.api.signUpEmail({
      body: { email, password: "bench-password-1", name: `Member ${i}` },
    });
    tokens.push({ token: result.token, userId: result.user.id });
  }
  const owner = new Headers({ authorization: `Bearer ${tokens[0].token}` });
  const org = await auth.api.createOrganization({
    body: { name: "Team", slug: "team" },
    headers: owner,
  });
  for (const { userId } of tokens.slice(1)) {
    await auth.api.addMember({ body: { userId, role: "member", organizationId: org.id } });
  }
  const path = `/api/auth/organization/list-members?organizationId=${org.id}&limit=50`;
  console.log(JSON.stringify({ token: tokens[1].token, path }));
}

if (process.argv[2] === "seed") {
  await seed(Number(process.argv[3] || 50));
} else {
  http.createServer(toNodeHandler(auth)).listen(port, "127.0.0.1");
}
