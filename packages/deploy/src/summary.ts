import { type Deployment, PROXIED_CONTRACTS } from "@avskit/bindings";
import { formatUnits } from "viem";

const E18 = 10n ** 18n;

/** Stakes and multipliers are 1e18-scaled: show 10000000000000000000 as "10e18". */
function scaled(value: bigint): string {
  return value % E18 === 0n && value !== 0n ? `${value / E18}e18` : `${formatUnits(value, 18)}e18`;
}

/** A plain-text table of every address in a deployment, for terminals and logs. */
export function formatDeploymentSummary(deployment: Deployment, path?: string): string {
  const rows: [string, string][] = [];
  for (const name of PROXIED_CONTRACTS) {
    const contract = deployment.contracts[name];
    rows.push([name, contract.proxy]);
    rows.push([`  implementation`, contract.implementation]);
    rows.push([`  proxyAdmin`, contract.proxyAdmin]);
  }
  rows.push(["operatorStateRetriever", deployment.contracts.operatorStateRetriever]);
  const { restaking } = deployment;
  rows.push([`delegationManager (${restaking.source})`, restaking.delegationManager]);
  if (restaking.strategyManager)
    rows.push([`strategyManager (${restaking.source})`, restaking.strategyManager]);
  rows.push([`avsDirectory (${restaking.source})`, restaking.avsDirectory]);
  for (const quorum of deployment.quorums) {
    quorum.strategies.forEach((strategy, i) => {
      const weight = `multiplier ${scaled(strategy.multiplier)}`;
      rows.push([`quorum ${quorum.quorumNumber} strategy ${i} (${weight})`, strategy.strategy]);
      rows.push([`  token`, strategy.token]);
    });
  }
  const { roles } = deployment;
  rows.push(["owner", roles.owner], ["churnApprover", roles.churnApprover], ["ejector", roles.ejector]);
  for (const address of roles.taskGenerators) rows.push(["taskGenerator", address]);
  for (const address of roles.aggregators) rows.push(["aggregator", address]);
  const width = Math.max(...rows.map(([name]) => name.length));
  const header =
    `chain ${deployment.chainId}, block ${deployment.deployedAt.blockNumber}, deployer ${deployment.deployer}` +
    (path ? `\nrecorded in ${path}` : "");
  const quorums = deployment.quorums
    .map(
      (quorum) =>
        `quorum ${quorum.quorumNumber}: minimum stake ${scaled(quorum.minimumStake)}, ` +
        `${quorum.strategies.length} ${quorum.strategies.length === 1 ? "strategy" : "strategies"}, ` +
        `max ${quorum.operatorSetParams.maxOperatorCount} operators`,
    )
    .join("\n");
  return `${header}\n${rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join("\n")}\n${quorums}\n`;
}
