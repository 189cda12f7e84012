/** A JSON reply read back from a node: its status and parsed body (text when not JSON). */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

async function readReply(response: Response): Promise<JsonReply> {
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: text };
  }
}

/** GET a node's JSON; undefined when it does not answer in time (down, restarting, cut off). */
export async function getJson(url: string, timeoutMs = 2_000): Promise<JsonReply | undefined> {
  try {
    return await readReply(await fetch(url, { signal: AbortSignal.timeout(timeoutMs) }));
  } catch {
    return undefined;
  }
}

/** POST JSON (or a raw string) to a node; undefined when it does not answer in time. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
  timeoutMs = 5_000,
): Promise<JsonReply | undefined> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return await readReply(response);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
