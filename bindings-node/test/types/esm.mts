// Compiled with `tsc --noEmit -p test/types`: an ES module importing the package by name.

import ingate, { ErrorCode, Policy, isIngateError, wrapOpenAI, type TokenCount } from 'ingate'

const count: TokenCount = Policy.default().countTokens('gpt-4o', 'Hello')
const same: TokenCount = ingate.Policy.default().countTokens('gpt-4o', 'Hello')
const code: 'INGATE_MODEL_RETIRED' = ErrorCode.ModelRetired

void [count, same, code, isIngateError, wrapOpenAI]
