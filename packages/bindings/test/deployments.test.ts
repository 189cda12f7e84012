import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  allContractErrorsAbi,
  type CodeReader,
  ContractResolutionError,
  type DeploymentJson,
  DeploymentNotFoundError,
  InvalidDeploymentError,
  loadDeployment,
  parseDeployment,
  resolveContracts,
  serializeDeployment,
  stakeRegistryAbi,
  taskManagerAbi,
} from "../src/index.js";

const a = (n: number) => `0x${n.toString(16).padStart(40, "0")}`;
const proxied = (n: number) => ({ proxy: a(n), implementation: a(n + 1), proxyAdmin: a(n + 2) });

function validJson(): DeploymentJson {
  return {
    format: "avskit-deployment-1",
    chainId: 31337,
    deployer: "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266",
    deployedAt: { blockNumber: 42, blockHash: `0x${"ab".repeat(32)}`, timestamp: 1_795_312_410 },
    contracts: {
      registryCoordinator: proxied(0x10),
      stakeRegistry: proxied(0x20),
      blsApkRegistry: proxied(0x30),
      indexRegistry: proxied(0x40),
      serviceManager: proxied(0x50),
      taskManager: proxied(0x60),
      operatorStateRetriever: a(0x70),
    },
    restaking: { source: "stand-in", delegationManager: a(1), strategyManager: a(2), avsDirectory: a(3) },
    quorums: [
      {
        quorumNumber: 0,
        minimumStake: "1000000000000000000",
        operatorSetParams: {
          maxOperatorCount: 32,
          kickBIPsOfOperatorStake: 11_000,
          kickBIPsOfTotalStake: 1_001,
        },
        strategies: [{ strategy: a(4), token: a(5), multiplier: "1000000000000000000" }],
      },
      {
        quorumNumber: 1,
        minimumStake: "0",
        operatorSetParams: {
          maxOperatorCount: 32,
          kickBIPsOfOperatorStake: 11_000,
          kickBIPsOfTotalStake: 1_001,
        },
        strategies: [
          { strategy: a(6), token: a(7), multiplier: "1000000000000000000" },
          { strategy: a(8), token: a(9), multiplier: "2000000000000000000" },
        ],
      },
    ],
    roles: {
      owner: a(0xa),
      churnApprover: a(0xd),
      ejector: a(0xe),
      taskGenerators: [a(0xb)],
      aggregators: [a(0xc)],
    },
  };
}

type Mutation = (json: Record<string, unknown> & DeploymentJson) => void;

function issuesOf(mutate: Mutation): string[] {
  const json = structuredClone(validJson()) as Record<string, unknown> & DeploymentJson;
  mutate(json);
  try {
    parseDeployment(json);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidDeploymentError);
    return (error as InvalidDeploymentError).issues.map((issue) => issue.path);
  }
  throw new Error("expected parseDeployment to throw");
}

describe("parseDeployment", () => {
  it("parses a valid file: checksummed addresses, bigint amounts", () => {
    const deployment = parseDeployment(validJson());
    expect(deployment.deployer).toBe("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    expect(deployment.quorums[1]?.strategies[1]?.multiplier).toBe(2_000_000_000_000_000_000n);
    expect(deployment.quorums[0]?.minimumStake).toBe(10n ** 18n);
    expect(deployment.contracts.taskManager.proxy).toBe(a(0x60));
  });

  it("round-trips through serializeDeployment", () => {
    const deployment = parseDeployment(validJson());
    expect(parseDeployment(JSON.parse(serializeDeployment(deployment)))).toEqual(deployment);
  });

  it("accepts an external restaking source without a strategy manager", () => {
    const json = validJson();
    json.restaking = { ...json.restaking, source: "external", strategyManager: null };
    expect(parseDeployment(json).restaking.strategyManager).toBeNull();
  });

  const cases: [string, Mutation][] = [
    [
      "format",
      (j) => {
        j.format = "avskit-deployment-0" as "avskit-deployment-1";
      },
    ],
    [
      "chainId",
      (j) => {
        j.chainId = -1;
      },
    ],
    [
      "chainId",
      (j) => {
        delete (j as Partial<DeploymentJson>).chainId;
      },
    ],
    [
      "deployer",
      (j) => {
        j.deployer = "0x1234";
      },
    ],
    [
      "deployer",
      (j) => {
        j.deployer = "0xF39fd6e51aad88f6f4ce6ab8827279cfffb92266";
      },
    ], // bad checksum
    [
      "deployedAt.blockNumber",
      (j) => {
        j.deployedAt.blockNumber = 1.5;
      },
    ],
    [
      "deployedAt.blockHash",
      (j) => {
        j.deployedAt.blockHash = "0x00";
      },
    ],
    [
      "deployedAt.timestamp",
      (j) => {
        delete (j.deployedAt as Partial<typeof j.deployedAt>).timestamp;
      },
    ],
    [
      "contracts.stakeRegistry.proxy",
      (j) => {
        j.contracts.stakeRegistry.proxy = "nope";
      },
    ],
    [
      "contracts.taskManager.proxyAdmin",
      (j) => {
        delete (j.contracts.taskManager as { proxyAdmin?: string }).proxyAdmin;
      },
    ],
    [
      "contracts.indexRegistry",
      (j) => {
        delete (j.contracts as Partial<typeof j.contracts>).indexRegistry;
      },
    ],
    [
      "restaking.source",
      (j) => {
        j.restaking.source = "eigen" as "external";
      },
    ],
    [
      "restaking.avsDirectory",
      (j) => {
        j.restaking.avsDirectory = a(1).slice(0, 20);
      },
    ],
    [
      "restaking.delegationManager",
      (j) => {
        delete (j.restaking as Partial<typeof j.restaking>).delegationManager;
      },
    ],
    [
      "quorums",
      (j) => {
        j.quorums = [];
      },
    ],
    [
      "quorums[0].minimumStake",
      (j) => {
        j.quorums[0]!.minimumStake = "1e18";
      },
    ],
    [
      "quorums[0].minimumStake",
      (j) => {
        j.quorums[0]!.minimumStake = (1n << 96n).toString();
      },
    ],
    [
      "quorums[1].quorumNumber",
      (j) => {
        j.quorums[1]!.quorumNumber = 2;
      },
    ],
    [
      "quorums[1].strategies",
      (j) => {
        j.quorums[1]!.strategies = [];
      },
    ],
    [
      "quorums[1].strategies[1].multiplier",
      (j) => {
        j.quorums[1]!.strategies[1]!.multiplier = "0";
      },
    ],
    [
      "quorums[0].strategies[0].token",
      (j) => {
        j.quorums[0]!.strategies[0]!.token = 5 as unknown as string;
      },
    ],
    [
      "quorums[0].operatorSetParams.maxOperatorCount",
      (j) => {
        j.quorums[0]!.operatorSetParams.maxOperatorCount = 0;
      },
    ],
    [
      "quorums[1].operatorSetParams.kickBIPsOfTotalStake",
      (j) => {
        j.quorums[1]!.operatorSetParams.kickBIPsOfTotalStake = 70_000;
      },
    ],
    [
      "contracts.operatorStateRetriever",
      (j) => {
        j.contracts.operatorStateRetriever = "0x1";
      },
    ],
    [
      "roles.ejector",
      (j) => {
        delete (j.roles as Partial<typeof j.roles>).ejector;
      },
    ],
    [
      "roles.owner",
      (j) => {
        j.roles.owner = "";
      },
    ],
    [
      "roles.aggregators[0]",
      (j) => {
        j.roles.aggregators = ["0xzz"];
      },
    ],
    [
      "(root)",
      (j) => {
        j.extra = true;
      },
    ],
  ];
  it.each(cases)("names the bad field %s", (path, mutate) => {
    expect(issuesOf(mutate)).toContain(path);
  });

  it("puts the field path in the error message", () => {
    const json = validJson();
    json.contracts.blsApkRegistry.implementation = "0x12";
    expect(() => parseDeployment(json, "x.json")).toThrow(
      /invalid deployment \(x\.json\): contracts\.blsApkRegistry\.implementation: expected a 20-byte hex address/,
    );
  });
});

describe("loadDeployment", () => {
  const dir = mkdtempSync(join(tmpdir(), "avskit-deployments-"));

  it("loads <dir>/<chainId>.json", async () => {
    writeFileSync(join(dir, "31337.json"), JSON.stringify(validJson()));
    const deployment = await loadDeployment(31337, { dir });
    expect(deployment.chainId).toBe(31337);
    expect(deployment.roles.taskGenerators).toEqual([a(0xb)]);
  });

  it("throws DeploymentNotFoundError for a missing file", async () => {
    const error = await loadDeployment(5, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeploymentNotFoundError);
    expect((error as DeploymentNotFoundError).path).toBe(join(dir, "5.json"));
    expect((error as Error).message).toMatch(/no deployment for chain 5/);
  });

  it("rejects a file whose chainId is not the one asked for", async () => {
    writeFileSync(join(dir, "1.json"), JSON.stringify(validJson()));
    await expect(loadDeployment(1, { dir })).rejects.toThrow(/chainId: file is for chain 31337/);
  });

  it("rejects a file that is not JSON", async () => {
    writeFileSync(join(dir, "7.json"), "{ not json");
    const error = await loadDeployment(7, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidDeploymentError);
    expect((error as Error).message).toMatch(/\(root\): not JSON/);
  });
});

/**
 * A chain that only answers eth_getCode, from a table. The bindings package sits below the
 * devnet (which needs it to deploy), so no real chain can be started from its tests; the
 * services' tests resolve contracts against real anvil.
 */
function codeAt(deployed: readonly string[], chainId = 31337): CodeReader & { calls: number } {
  const reader = {
    chain: { id: chainId },
    calls: 0,
    async getCode({ address }: { address: string }) {
      reader.calls++;
      return deployed.map((x) => x.toLowerCase()).includes(address.toLowerCase()) ? "0x6080" : undefined;
    },
  } as CodeReader & { calls: number };
  return reader;
}

describe("resolveContracts", () => {
  function deploymentsDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "avskit-resolve-"));
    writeFileSync(join(dir, "31337.json"), JSON.stringify(validJson()));
    return dir;
  }
  const flag = (name: string) => `--${name}-addr`;

  it("takes a flag over the file, names each source, and reads the file only when needed", async () => {
    const dir = deploymentsDir();
    const given = a(0x99);
    const chain = codeAt([given, a(0x60), a(0x10), a(0x70)]);
    const both = await resolveContracts(chain, {
      dir,
      contracts: {
        taskManager: { flag: flag("task-manager") },
        registryCoordinator: { flag: flag("registry-coordinator"), address: given as `0x${string}` },
        operatorStateRetriever: { flag: flag("retriever"), optional: true },
      },
    });
    expect(both.addresses.taskManager.toLowerCase()).toBe(a(0x60));
    expect(both.addresses.registryCoordinator).toBe(given);
    expect(both.addresses.operatorStateRetriever?.toLowerCase()).toBe(a(0x70));
    expect(both.sources.registryCoordinator).toBe("--registry-coordinator-addr");
    expect(both.sources.taskManager).toBe(join(dir, "31337.json"));
    expect(both.deployment?.chainId).toBe(31337);

    const onlyFlags = await resolveContracts(chain, {
      dir: "/nonexistent",
      contracts: {
        taskManager: { flag: flag("task-manager"), address: given as `0x${string}` },
        operatorStateRetriever: { flag: flag("retriever"), optional: true },
      },
    });
    expect(onlyFlags.deployment).toBeUndefined();
    expect(onlyFlags.addresses.operatorStateRetriever).toBeUndefined();
  });

  it("refuses an address without code, naming the contract and where it came from", async () => {
    const dir = deploymentsDir();
    const stale = resolveContracts(codeAt([]), {
      dir,
      contracts: { taskManager: { flag: "--task-manager-addr" } },
    });
    await expect(stale).rejects.toThrow(ContractResolutionError);
    await expect(stale).rejects.toMatchObject({ problem: "no-code", contract: "taskManager" });
    await expect(stale).rejects.toThrow(
      /taskManager, from .*31337\.json\): was the chain restarted.*--task-manager-addr/,
    );

    const typo = resolveContracts(codeAt([]), {
      dir,
      contracts: { taskManager: { flag: "--task-manager-addr", address: a(5) as `0x${string}` } },
    });
    await expect(typo).rejects.toThrow(/taskManager, from --task-manager-addr\)/);
  });

  it("refuses a missing or invalid deployments file with the same error class", async () => {
    const missing = resolveContracts(codeAt([]), {
      dir: mkdtempSync(join(tmpdir(), "avskit-empty-")),
      contracts: { taskManager: { flag: "--task-manager-addr" } },
    });
    await expect(missing).rejects.toMatchObject({
      name: "ContractResolutionError",
      problem: "no-deployment",
    });
    await expect(missing).rejects.toThrow(/or give the addresses \(--task-manager-addr\)/);

    const dir = mkdtempSync(join(tmpdir(), "avskit-bad-"));
    writeFileSync(join(dir, "31337.json"), "{");
    await expect(
      resolveContracts(codeAt([]), { dir, contracts: { taskManager: { flag: "--task-manager-addr" } } }),
    ).rejects.toMatchObject({ problem: "invalid-deployment" });
  });
});

describe("allContractErrorsAbi (generated)", () => {
  it("holds every contract's custom errors once each", () => {
    type Item = { type: string; name?: string; inputs?: readonly { type: string }[] };
    const names = (abi: readonly Item[]) =>
      abi.filter((item) => item.type === "error").map((item) => item.name);
    const signatures = allContractErrorsAbi.map(
      (item: Item) => `${item.name}(${(item.inputs ?? []).map((input) => input.type).join(",")})`,
    );
    expect(new Set(signatures).size).toBe(signatures.length);
    const all = names(allContractErrorsAbi);
    for (const name of [...names(taskManagerAbi), ...names(stakeRegistryAbi)]) expect(all).toContain(name);
  });
});
