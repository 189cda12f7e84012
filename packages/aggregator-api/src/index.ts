export {
  AggregatorSession,
  type AggregatorSessionOptions,
  classifyReply,
  type LoginOutcome,
  type LoginReason,
  postSessionRequest,
  postSignedResponse,
  type Rejected,
  responseUrl,
  type SendOutcome,
  sessionsUrl,
  type Unreachable,
} from "./client.js";
export {
  type ErrorBody,
  isRejectionCode,
  REJECTIONS,
  type RejectionCode,
  ResponseRejectedError,
} from "./rejections.js";
export {
  bearerToken,
  createSessionRequest,
  LOGIN_MAX_SKEW_SECONDS,
  type MessageSigner,
  parseSessionRequest,
  SESSION_PURPOSE,
  type SessionDomain,
  type SessionGrant,
  type SessionRequest,
  type SessionRequestBody,
  sessionMessage,
  sessionSignatureValid,
} from "./session.js";
export {
  parseSignedResponse,
  parseSignedResponseFields,
  parseTaskIndex,
  type SignatureCoordinates,
  type SignedResponse,
  type SignedResponseBody,
  type SignedResponseFields,
  signaturePoint,
  signedResponseBody,
} from "./signed-response.js";
export { type TaskResponse, taskResponseDigest } from "./task-response.js";
