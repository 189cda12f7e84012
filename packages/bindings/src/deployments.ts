import { readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { z } from "zod";
import { type Deployment, type DeploymentJson, deploymentSchema } from "./deployment-schema.js";

/** One problem found in a deployments file: the dotted path of the field and what is wrong. */
export interface DeploymentIssue {
  path: string;
  message: string;
}

/** No `<chainId>.json` in the deployments folder. */
export class DeploymentNotFoundError extends Error {
  readonly chainId: number;
  readonly path: string;
  constructor(chainId: number, path: string) {
    super(
      `no deployment for chain ${chainId}: ${path} does not exist (deploy first, e.g. \`npm run deploy\`)`,
    );
    this.name = "DeploymentNotFoundError";
    this.chainId = chainId;
    this.path = path;
  }
}

/** A deployments file that is not JSON or does not match the schema; `issues` names each bad field. */
export class InvalidDeploymentError extends Error {
  readonly issues: readonly DeploymentIssue[];
  readonly source: string;
  constructor(source: string, issues: readonly DeploymentIssue[]) {
    const list = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
    super(`invalid deployment (${source}): ${list}`);
    this.name = "InvalidDeploymentError";
    this.issues = issues;
    this.source = source;
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return "(root)";
  return path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`))
    .join("");
}

function toIssues(error: z.ZodError): DeploymentIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
}

/** Validates a parsed JSON value as a deployment. Throws `InvalidDeploymentError` naming each bad field. */
export function parseDeployment(json: unknown, source = "deployment"): Deployment {
  const result = deploymentSchema.safeParse(json);
  if (!result.success) throw new InvalidDeploymentError(source, toIssues(result.error));
  return result.data;
}

/** JSON text of a deployment (bigints as decimal strings), the inverse of `parseDeployment`. */
export function serializeDeployment(deployment: Deployment): string {
  const json: DeploymentJson = JSON.parse(
    JSON.stringify(deployment, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    ),
  );
  // Validate what we write, so a writer bug cannot produce a file the loader rejects later.
  parseDeployment(json, "serializeDeployment");
  return `${JSON.stringify(json, null, 2)}\n`;
}

export interface LoadDeploymentOptions {
  /** Folder holding `<chainId>.json`; default `$AVSKIT_DEPLOYMENTS_DIR` or `./deployments`. */
  dir?: string;
}

/** Default deployments folder: `$AVSKIT_DEPLOYMENTS_DIR`, else `deployments` under the working directory. */
export function defaultDeploymentsDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.AVSKIT_DEPLOYMENTS_DIR;
  return resolve(fromEnv !== undefined && fromEnv !== "" ? fromEnv : "deployments");
}

export function deploymentPath(chainId: number, dir: string = defaultDeploymentsDir()): string {
  return join(resolve(dir), `${chainId}.json`);
}

/** Reads and validates `<dir>/<chainId>.json`. */
export async function loadDeployment(
  chainId: number,
  options: LoadDeploymentOptions = {},
): Promise<Deployment> {
  const path = deploymentPath(chainId, options.dir);
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new DeploymentNotFoundError(chainId, path);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidDeploymentError(path, [
      { path: "(root)", message: `not JSON: ${(error as Error).message}` },
    ]);
  }
  const deployment = parseDeployment(json, path);
  if (deployment.chainId !== chainId) {
    throw new InvalidDeploymentError(path, [
      {
        path: "chainId",
        message: `file is for chain ${deployment.chainId}, but chain ${chainId} was asked for`,
      },
    ]);
  }
  return deployment;
}
