export {
  classifyReply,
  postSignedResponse,
  responseUrl,
  type SendOutcome,
} from "./client.js";
export {
  type ErrorBody,
  isRejectionCode,
  REJECTIONS,
  type RejectionCode,
  ResponseRejectedError,
} from "./rejections.js";
export {
  parseSignedResponse,
  parseTaskIndex,
  type SignedResponse,
  type SignedResponseBody,
  signedResponseBody,
} from "./signed-response.js";
export { type TaskResponse, taskResponseDigest } from "./task-response.js";
