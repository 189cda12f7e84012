/** A quorum asked for with --quorums is not one of the deployment's quorums. */
export class UnknownQuorumError extends Error {
  readonly quorum: number;
  constructor(quorum: number, known: readonly number[]) {
    super(`invalid --quorums: quorum ${quorum} is not in the deployment (its quorums: ${known.join(", ")})`);
    this.name = "UnknownQuorumError";
    this.quorum = quorum;
  }
}
