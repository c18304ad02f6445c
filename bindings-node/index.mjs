// The ES module entry point: the same objects as the CommonJS entry point.
import ingate from './index.js'

export const { Policy, Call, StreamRestorer, ErrorCode, isIngateError, wrapOpenAI } = ingate
export default ingate
