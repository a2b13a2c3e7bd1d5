// Launcher for the fauxqs SQS emulator used by Leadflow tests and `make dev`.
//
// fauxqs' own CLI always enables per-request logging; this launcher keeps it
// off unless FAUXQS_LOGGER=true, reads FAUXQS_PORT like the CLI does, and
// shuts the server down cleanly on SIGTERM/SIGINT.
import { startFauxqs } from "fauxqs";

const server = await startFauxqs({
  logger: process.env.FAUXQS_LOGGER === "true",
});
console.log(`fauxqs listening on port ${server.port}`);

for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => {
    server.stop().finally(() => process.exit(0));
  });
}
