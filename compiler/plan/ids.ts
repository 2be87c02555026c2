// Stable ids: derived from a construct's place in the plan, never from randomness, so a journal
// written by one build of a plan matches the steps of the next build of the same source.
// Declaration names are global (AWR2002), so `kind:name` is unique in a plan.

export const declId = (kind: "graph" | "policy" | "test", name: string): string => `${kind}:${name}`;
export const nodeId = (graph: string, node: string): string => `${declId("graph", graph)}/node:${node}`;
export const stmtId = (graph: string, node: string, index: number): string => `${nodeId(graph, node)}/stmt:${index}`;
export const edgeId = (graph: string, index: number): string => `${declId("graph", graph)}/edge:${index}`;
export const hookId = (policy: string, index: number): string => `${declId("policy", policy)}/hook:${index}`;
export const ruleId = (policy: string, hook: number, index: number): string => `${hookId(policy, hook)}/rule:${index}`;
export const expectId = (test: string, index: number): string => `${declId("test", test)}/expect:${index}`;
