// Generates syntaxes/awr.tmLanguage.json (the TextMate grammar) from readable regexes.
// Usage: node scripts/grammar.mjs syntaxes/awr.tmLanguage.json   (then: node scripts/tokenize.mjs FILE.awr)
import { writeFileSync } from "node:fs";
const R = String.raw;
const ID = R`[A-Za-z_][A-Za-z0-9_]*`;
const PRIM = R`(?:string|int|float|bool|duration|any|json)`;
const TYPE_START = R`(?:${PRIM}\b|(?:list|map)\s*<|[A-Z][A-Za-z0-9_]*\b|"|\()`;
// A soft keyword is a keyword where it starts a statement or clause: not a property key (`retry: 3`),
// not a member (`x.max`, `state.notes`), not an attribute or call argument name (`@reduce(max)`), not a call.
const SOFT_AFTER = R`(?![ \t]*(?::|\.|\(|=(?!=|>)))`;
const SOFT_BEFORE = R`(?<![.@?])`;
const kw = (words, scope) => ({ match: R`${SOFT_BEFORE}\b(?:${words.join("|")})\b${SOFT_AFTER}`, name: scope });
const DECL_END = R`(?=^[ \t]*(?:import|type|enum|model|tool|prompt|agent|context|policy|graph|test)\b[ \t]+[A-Za-z_"])`;

const g = {
  $schema: "https://raw.githubusercontent.com/martinring/tmlanguage/master/tmlanguage.json",
  name: "AWR",
  scopeName: "source.awr",
  fileTypes: ["awr"],
  patterns: [
    { include: "#comments" },
    { include: "#declarations" },
    { include: "#statements" },
    { include: "#body" },
  ],
  repository: {
    comments: {
      patterns: [
        { match: R`(///)(?!/)(.*)$`, name: "comment.line.documentation.awr", captures: { 1: { name: "punctuation.definition.comment.awr" } } },
        { match: R`(//)(.*)$`, name: "comment.line.double-slash.awr", captures: { 1: { name: "punctuation.definition.comment.awr" } } },
        { begin: R`/\*`, end: R`\*/`, name: "comment.block.awr", beginCaptures: { 0: { name: "punctuation.definition.comment.begin.awr" } }, endCaptures: { 0: { name: "punctuation.definition.comment.end.awr" } } },
      ],
    },
    declarations: {
      patterns: [
        { match: R`^[ \t]*(import)\b(?=[ \t]*")`, captures: { 1: { name: "keyword.control.import.awr" } } },
        // type Name = TypeExpr (an alias: the rest of the line is a type)
        {
          begin: R`^[ \t]*(type)[ \t]+(${ID})[ \t]*(=)`,
          beginCaptures: { 1: { name: "storage.type.type.awr" }, 2: { name: "entity.name.type.awr" }, 3: { name: "keyword.operator.assignment.awr" } },
          end: R`$|(?=//|/\*)`,
          name: "meta.declaration.type.alias.awr",
          patterns: [{ include: "#type-expression" }],
        },
        { match: R`^[ \t]*(type)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.type.awr" }, 2: { name: "entity.name.type.awr" } } },
        {
          begin: R`^[ \t]*(enum)[ \t]+(${ID})`,
          beginCaptures: { 1: { name: "storage.type.enum.awr" }, 2: { name: "entity.name.type.enum.awr" } },
          end: R`\}`,
          endCaptures: { 0: { name: "punctuation.section.braces.awr" } },
          name: "meta.declaration.enum.awr",
          patterns: [{ include: "#comments" }, { match: R`\{`, name: "punctuation.section.braces.awr" }, { match: ",", name: "punctuation.separator.comma.awr" }, { match: ID, name: "variable.other.enummember.awr" }],
        },
        { match: R`^[ \t]*(prompt|agent|tool|graph)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.$1.awr" }, 2: { name: "entity.name.function.$1.awr" } } },
        { match: R`^[ \t]*(model)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.model.awr" }, 2: { name: "entity.name.type.model.awr" } } },
        { match: R`^[ \t]*(context)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.context.awr" }, 2: { name: "entity.name.type.context.awr" } } },
        { match: R`^[ \t]*(policy)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.policy.awr" }, 2: { name: "entity.name.namespace.policy.awr" } } },
        { match: R`^[ \t]*(test)[ \t]+(${ID})`, captures: { 1: { name: "storage.type.test.awr" }, 2: { name: "entity.name.function.test.awr" } } },
      ],
    },
    statements: {
      patterns: [
        // node NAME { ... }
        { match: R`${SOFT_BEFORE}\b(node)[ \t]+(${ID})(?=[ \t]*\{)`, captures: { 1: { name: "keyword.other.node.awr" }, 2: { name: "entity.name.function.node.awr" } } },
        // state { ... }
        { match: R`${SOFT_BEFORE}\b(state)(?=[ \t]*\{)`, captures: { 1: { name: "keyword.other.state.awr" } } },
        // edge a -> [b, c] when cond max 3 : one line
        {
          begin: R`${SOFT_BEFORE}\b(edge)\b${SOFT_AFTER}`,
          beginCaptures: { 1: { name: "keyword.other.edge.awr" } },
          end: R`$|(?=\}|//|/\*)`,
          name: "meta.edge.awr",
          patterns: [
            { match: R`(?<![.\w])(start|end)\b(?![ \t]*[.(])`, name: "constant.language.node.$1.awr" },
            { include: "#expression" },
          ],
        },
        // on error -> node
        { match: R`${SOFT_BEFORE}\b(on)[ \t]+(error)\b`, captures: { 1: { name: "keyword.control.on-error.awr" }, 2: { name: "keyword.control.on-error.awr" } } },
        // source NAME = kind("...")
        { match: R`${SOFT_BEFORE}\b(source)[ \t]+(${ID})(?=[ \t]*=)`, captures: { 1: { name: "keyword.other.source.awr" }, 2: { name: "entity.name.variable.source.awr" } } },
        // before tool NAME / after model / before tool tagged pii.read
        {
          match: R`${SOFT_BEFORE}\b(before|after)[ \t]+(model|tool|agent|output)\b(?:[ \t]+(?:(tagged)[ \t]+(${ID}(?:\.${ID})*)|(?!tagged\b)(${ID})))?`,
          captures: {
            1: { name: "keyword.control.hook.awr" },
            2: { name: "keyword.other.hook-target.awr" },
            3: { name: "keyword.other.tagged.awr" },
            4: { name: "entity.name.tag.awr" },
            5: { name: "variable.function.awr" },
          },
        },
        // mock NAME => value then value
        { match: R`${SOFT_BEFORE}\b(mock)[ \t]+(${ID})`, captures: { 1: { name: "keyword.other.mock.awr" }, 2: { name: "variable.function.awr" } } },
        // redact email, phone
        { match: R`${SOFT_BEFORE}\b(redact)\b${SOFT_AFTER}`, captures: { 1: { name: "keyword.other.policy.awr" } } },
        // map x in list concurrency N run f(x) -> field
        { match: R`${SOFT_BEFORE}\b(map)[ \t]+(${ID})[ \t]+(in)\b`, captures: { 1: { name: "keyword.control.map.awr" }, 2: { name: "variable.other.readwrite.awr" }, 3: { name: "keyword.operator.in.awr" } } },
        // set field = expr
        { match: R`${SOFT_BEFORE}\b(set)[ \t]+(${ID})(?=[ \t]*=(?!=))`, captures: { 1: { name: "keyword.other.set.awr" }, 2: { name: "variable.other.property.state.awr" } } },
        kw(["run", "await", "retry", "timeout", "compensate", "return", "expect", "concurrency"], "keyword.control.statement.awr"),
        kw(["deny", "allow", "approve"], "keyword.other.policy.awr"),
        kw(["because", "tagged"], "keyword.other.awr"),
        kw(["when", "otherwise", "max", "then"], "keyword.control.conditional.awr"),
      ],
    },
    body: {
      patterns: [
        // system #"..."#, price { ... }: a property key without a colon
        { match: R`^[ \t]*(?!(?:state|retry|return|timeout|run|set|await|compensate|expect|deny|allow|approve|redact|mock|then)\b)(${ID})(?=[ \t]*(?:#"|\{))`, captures: { 1: { name: "variable.other.property.awr" } } },
        { include: "#expression" },
      ],
    },
    expression: {
      patterns: [
        { include: "#comments" },
        { include: "#template" },
        { include: "#string" },
        { include: "#attribute" },
        { include: "#type-annotation" },
        { include: "#literals" },
        { include: "#keywords-in-expression" },
        { match: R`(${ID})[ \t]*(?=:(?!:))`, captures: { 1: { name: "variable.other.property.awr" } } },
        { match: R`(${ID})(?=[ \t]*\()`, captures: { 1: { name: "entity.name.function.call.awr" } } },
        { include: "#operators" },
        { include: "#punctuation" },
        { match: R`(?<=\.)${ID}`, name: "variable.other.property.awr" },
        { match: ID, name: "variable.other.readwrite.awr" },
      ],
    },
    "keywords-in-expression": {
      patterns: [
        { match: R`${SOFT_BEFORE}\b(in)\b${SOFT_AFTER}`, name: "keyword.operator.in.awr" },
        { include: "#statements" },
      ],
    },
    literals: {
      patterns: [
        { match: R`\b(true|false)\b`, name: "constant.language.boolean.$1.awr" },
        { match: R`\bnull\b`, name: "constant.language.null.awr" },
        { match: R`\b([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)\b`, name: "constant.numeric.duration.awr", captures: { 2: { name: "keyword.other.unit.awr" } } },
        { match: R`\b[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\b`, name: "constant.numeric.awr" },
      ],
    },
    string: {
      begin: R`"`,
      end: R`"|$`,
      name: "string.quoted.double.awr",
      beginCaptures: { 0: { name: "punctuation.definition.string.begin.awr" } },
      endCaptures: { 0: { name: "punctuation.definition.string.end.awr" } },
      patterns: [{ include: "#escape" }],
    },
    escape: {
      patterns: [
        { match: R`\\(?:[ntr0"\\]|u\{[0-9A-Fa-f]{1,6}\}|u[0-9A-Fa-f]{4})`, name: "constant.character.escape.awr" },
        { match: R`\\.`, name: "invalid.illegal.escape.awr" },
      ],
    },
    template: {
      begin: R`#"`,
      end: R`"#`,
      name: "string.quoted.other.template.awr",
      beginCaptures: { 0: { name: "punctuation.definition.string.template.begin.awr" } },
      endCaptures: { 0: { name: "punctuation.definition.string.template.end.awr" } },
      patterns: [
        {
          begin: R`\{\{`,
          end: R`\}\}`,
          name: "meta.template.expression.awr",
          contentName: "meta.embedded.line.awr",
          beginCaptures: { 0: { name: "punctuation.section.embedded.begin.awr" } },
          endCaptures: { 0: { name: "punctuation.section.embedded.end.awr" } },
          patterns: [{ include: "#expression" }],
        },
      ],
    },
    attribute: {
      match: R`(@)(${ID})`,
      name: "meta.attribute.awr",
      captures: { 1: { name: "punctuation.definition.decorator.awr" }, 2: { name: "entity.name.function.decorator.awr" } },
    },
    // `: Type`, `-> Type`, `| Type`: a type starts with a builtin, a capitalised name, list<…>/map<…>,
    // a literal type or a parenthesis. `-> field` (a state field) and `key: value` stay expressions.
    "type-annotation": {
      patterns: [
        {
          begin: R`(:|->)(?=[ \t]*${TYPE_START.replace(R`|"|\(`, "")})`,
          beginCaptures: { 1: { name: "keyword.operator.type.annotation.awr" } },
          end: R`(?=[^\sA-Za-z0-9_<>?|,."()])|(?<=[A-Za-z0-9_?]|[^-]>)(?=[ \t]*(?:[^ \t|?<]|$))`,
          patterns: [{ include: "#type-expression" }],
        },
      ],
    },
    "type-expression": {
      patterns: [
        { include: "#comments" },
        { include: "#string" },
        { include: "#literals" },
        {
          begin: R`\b(list|map)[ \t]*(<)`,
          beginCaptures: { 1: { name: "support.type.builtin.awr" }, 2: { name: "punctuation.definition.typeparameters.begin.awr" } },
          end: R`>`,
          endCaptures: { 0: { name: "punctuation.definition.typeparameters.end.awr" } },
          patterns: [{ include: "#type-expression" }, { match: ",", name: "punctuation.separator.comma.awr" }],
        },
        { match: R`\b${PRIM}\b`, name: "support.type.primitive.awr" },
        { match: R`\b(list|map)\b`, name: "support.type.builtin.awr" },
        { match: ID, name: "entity.name.type.awr" },
        { match: R`\?`, name: "keyword.operator.optional.awr" },
        { match: R`\|`, name: "keyword.operator.union.awr" },
        { match: R`[()]`, name: "punctuation.section.parens.awr" },
      ],
    },
    operators: {
      patterns: [
        { match: "->", name: "keyword.operator.arrow.awr" },
        { match: "=>", name: "keyword.operator.arrow.fat.awr" },
        { match: R`\?\.`, name: "punctuation.accessor.optional.awr" },
        { match: R`\?\?`, name: "keyword.operator.coalesce.awr" },
        { match: R`==|!=|<=|>=|<|>`, name: "keyword.operator.comparison.awr" },
        { match: R`(?<=[A-Za-z0-9_)\]])!(?!=)`, name: "keyword.operator.non-null.awr" },
        { match: R`&&|\|\||!`, name: "keyword.operator.logical.awr" },
        { match: R`[-+*/%]`, name: "keyword.operator.arithmetic.awr" },
        { match: "=", name: "keyword.operator.assignment.awr" },
        { match: R`\|`, name: "keyword.operator.union.awr" },
        { match: R`\?`, name: "keyword.operator.optional.awr" },
      ],
    },
    punctuation: {
      patterns: [
        { match: ",", name: "punctuation.separator.comma.awr" },
        { match: R`\.`, name: "punctuation.accessor.awr" },
        { match: ":", name: "punctuation.separator.key-value.awr" },
        { match: R`[{}]`, name: "punctuation.section.braces.awr" },
        { match: R`[\[\]]`, name: "punctuation.section.brackets.awr" },
        { match: R`[()]`, name: "punctuation.section.parens.awr" },
      ],
    },
  },
};
writeFileSync(process.argv[2], JSON.stringify(g, null, 2) + "\n");
