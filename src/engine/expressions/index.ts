export { type Ast, type BinaryOp, ExpressionError, FUNCTION_NAMES, isExpressionError } from "./ast.js";
export { constantError } from "./constants.js";
export { evaluateExpression, property, ROOT_NAMES, type Scope } from "./evaluate.js";
export { parseExpression } from "./parser.js";
export { findReferences, type Reference, RUN_PROPERTIES, rootNames } from "./references.js";
export { hasExpression, interpolate, type TemplatePart, templateParts } from "./template.js";
export { isRecord, looseEquals, toText, truthy } from "./values.js";
