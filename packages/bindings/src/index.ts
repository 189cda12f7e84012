export * from "./contracts.js";
export * from "./deployment-schema.js";
export * from "./deployments.js";
export * from "./generated/index.js";
export * from "./with-all-errors.js";
