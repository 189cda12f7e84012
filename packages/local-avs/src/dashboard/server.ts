import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DashboardSnapshot } from "./model.js";

/** What the server shows: the latest snapshot, and each new one as it comes. */
export interface SnapshotSource {
  readonly snapshot: DashboardSnapshot;
  subscribe(listener: (snapshot: DashboardSnapshot) => void): () => void;
}

export interface DashboardServerOptions {
  readonly source: SnapshotSource;
  /** 0 picks a free port. */
  readonly port: number;
  /** The built page (index.html, app.js, app.css); default: the package's dist/dashboard-ui. */
  readonly assetsDir?: string;
  /** Open event streams at most (each browser tab holds one). */
  readonly maxStreams?: number;
}

export interface DashboardServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** The built page is missing: the package was not built (npm start and npm test build it). */
export class DashboardAssetsMissingError extends Error {
  constructor(dir: string, cause: unknown) {
    super(`the dashboard's page is not built (nothing at ${dir}); run npm run build`, { cause });
    this.name = "DashboardAssetsMissingError";
  }
}

const HOST = "127.0.0.1";
const HEARTBEAT_MS = 15_000;

/**
 * The package's dist/dashboard-ui/, from this module compiled (dist/src/dashboard/) or run from
 * its source (src/dashboard/, as the tests do): the nearest folder above with a package.json.
 */
export function defaultAssetsDir(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json"))) return join(dir, "dist", "dashboard-ui");
    if (dirname(dir) === dir) return join(from, "dashboard-ui");
  }
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text safe inside HTML elements and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/**
 * JSON that stays inert wherever it lands: no `<`, `>` or `&` (so no `</script>` or markup
 * sniffing), and no U+2028/2029 (line breaks to old JavaScript parsers).
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

// Everything the page needs comes from this server: no inline script or style, no other origin.
const SECURITY_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
} as const;

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

function loadAssets(dir: string): Map<string, Asset> {
  const files = [
    ["/", "index.html", "text/html; charset=utf-8"],
    ["/app.js", "app.js", "text/javascript; charset=utf-8"],
    ["/app.css", "app.css", "text/css; charset=utf-8"],
  ] as const;
  const assets = new Map<string, Asset>();
  for (const [path, file, type] of files) {
    try {
      assets.set(path, { type, body: readFileSync(join(dir, file)) });
    } catch (error) {
      throw new DashboardAssetsMissingError(dir, error);
    }
  }
  return assets;
}

function page(title: string, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">dashboard</a></p></body></html>\n`;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, ...extra });
  res.end(body);
}

/**
 * The dashboard's HTTP server, on 127.0.0.1 only and read-only: GET of the page, of the current
 * snapshot (`/api/snapshot`) and of a server-sent event stream of snapshots (`/api/events`);
 * every other method is refused with 405, and a request naming another host (DNS rebinding)
 * with 421.
 */
export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const assets = loadAssets(options.assetsDir ?? defaultAssetsDir());
  const maxStreams = options.maxStreams ?? 32;
  const streams = new Set<ServerResponse>();
  let port = options.port;

  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const path = (() => {
      try {
        return new URL(req.url ?? "/", "http://x").pathname;
      } catch {
        return "/";
      }
    })();
    // Messages name the path as the user typed it (decoded), escaped where rendered.
    const shown = (() => {
      try {
        return decodeURIComponent(path);
      } catch {
        return path;
      }
    })();
    if (req.method !== "GET") {
      send(
        res,
        405,
        "text/html; charset=utf-8",
        page(
          "405 method not allowed",
          `${req.method ?? "?"} ${shown}: this dashboard is read-only; only GET is allowed`,
        ),
        { Allow: "GET" },
      );
      return;
    }
    const host = req.headers.host ?? "";
    if (host !== `${HOST}:${port}` && host !== `localhost:${port}`) {
      send(
        res,
        421,
        "text/html; charset=utf-8",
        page("421 misdirected request", `not served for host ${host}`),
      );
      return;
    }
    const asset = assets.get(path);
    if (asset) {
      send(res, 200, asset.type, asset.body, { "Cache-Control": "no-cache" });
      return;
    }
    if (path === "/api/snapshot") {
      send(res, 200, "application/json; charset=utf-8", safeJson(options.source.snapshot), {
        "Cache-Control": "no-store",
      });
      return;
    }
    if (path === "/api/events") {
      if (streams.size >= maxStreams) {
        send(res, 503, "text/plain; charset=utf-8", "too many open dashboard streams", {
          "Retry-After": "5",
        });
        return;
      }
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "Content-Type": "text/event-stream; charset=utf-8",
        "Cache-Control": "no-store",
        Connection: "keep-alive",
      });
      // The browser reconnects by itself 1 s after the stream breaks (the page shows the gap).
      const write = (snapshot: DashboardSnapshot) =>
        res.write(`event: snapshot\ndata: ${safeJson(snapshot)}\n\n`);
      res.write("retry: 1000\n\n");
      write(options.source.snapshot);
      const unsubscribe = options.source.subscribe(write);
      const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), HEARTBEAT_MS);
      streams.add(res);
      res.on("close", () => {
        clearInterval(heartbeat);
        unsubscribe();
        streams.delete(res);
      });
      return;
    }
    send(res, 404, "text/html; charset=utf-8", page("404 not found", `nothing at ${shown}`));
  };

  const server: Server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, HOST, () => {
      server.off("error", reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${HOST}:${port}/`,
    port,
    async close() {
      for (const stream of streams) stream.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
