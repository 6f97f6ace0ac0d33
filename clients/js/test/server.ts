// The real server as a process on loopback (SQLite in a temp folder), for the SDK's tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repository = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export class TestServer {
  readonly apiKey = "tly_" + randomBytes(32).toString("base64url");
  readonly folder = mkdtempSync(join(tmpdir(), "timely-js-"));
  grpcPort = 0;
  webPort = 0;
  /** Everything the server wrote (stdout and stderr), across restarts. */
  output = "";
  private process?: ChildProcess;

  /** @param settings extra configuration, as environment variables (e.g. Cors__AllowedOrigins__0). */
  constructor(private readonly settings: Record<string, string> = {}) {}

  get grpcUrl(): string {
    return `http://127.0.0.1:${this.grpcPort}`;
  }

  get webUrl(): string {
    return `http://127.0.0.1:${this.webPort}`;
  }

  /** Starts the server unless it is running. */
  async start(): Promise<void> {
    if (this.process && this.process.exitCode === null && this.process.signalCode === null) {
      return;
    }
    if (this.grpcPort === 0) {
      this.grpcPort = await freePort();
      this.webPort = await freePort();
    }
    const dll = serverDll();
    this.process = spawn("dotnet", [dll], {
      cwd: dirname(dll),
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        Kestrel__Endpoints__Grpc__Url: this.grpcUrl,
        Kestrel__Endpoints__Web__Url: this.webUrl,
        Storage__Sqlite__Path: join(this.folder, "timely.db"),
        Auth__BootstrapAdminKey: this.apiKey,
        Limits__RequestsPerSecond: "1000000",
        Limits__Burst: "1000000",
        Logging__LogLevel__Default: "Warning",
        ...this.settings,
      },
    });
    const record = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.process.stdout?.on("data", record);
    this.process.stderr?.on("data", record);
    const deadline = Date.now() + 60_000;
    while (!(await accepts(this.grpcPort))) {
      if (Date.now() > deadline || this.process.exitCode !== null) {
        throw new Error("the server did not start");
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Kills the process at once, as a crash would. */
  async kill(): Promise<void> {
    await this.stop("SIGKILL");
  }

  /** Asks the process to stop, as an orchestrator does (SIGTERM): it ends its streams and exits. */
  async terminate(): Promise<void> {
    await this.stop("SIGTERM");
  }

  private async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.folder, { recursive: true, force: true });
  }
}

function serverDll(): string {
  const candidates = [
    process.env.TIMELY_SERVER_DLL,
    join(repository, "src/Timely.Server/bin/Release/net10.0/timely-server.dll"),
    join(repository, "src/Timely.Server/bin/Debug/net10.0/timely-server.dll"),
  ];
  const found = candidates.find((c) => c && existsSync(c));
  if (!found) {
    throw new Error("build the server first: dotnet build -c Release src/Timely.Server");
  }
  return found;
}

/** A loopback port that is free now and stays free, from below Linux's ephemeral range (32768-60999):
 * a client reconnecting to a stopped server could otherwise be given the server's own port as its
 * local one, and an outgoing connection can take such a port at any moment. */
let nextPort = Math.floor(Math.random() * 12_000);
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 12_000; attempt++) {
    const port = 20_000 + (nextPort++ % 12_000);
    if (await canListen(port)) {
      return port;
    }
  }
  throw new Error("no free loopback port between 20000 and 31999");
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const server = createServer();
    server.once("error", () => resolvePort(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolvePort(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolveProbe(true);
    });
    socket.once("error", () => resolveProbe(false));
  });
}

export const newId = (): string => crypto.randomUUID();
