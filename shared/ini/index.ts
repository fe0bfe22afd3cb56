/** Lossless reading and editing of Pegasus config.ini files, shared by the agent and the coordinator. */
export { splitLines, joinLines, dominantEol, eolStyle } from './lines';
export type { RawLine, Eol } from './lines';
export { parseIni, findSections, findEntries, getValue, commentStart, escapeValue, unescapeValue } from './parse';
export type { IniDocument, IniLine, IniSectionInfo, IniProblem, LineKind } from './parse';
export { applyEdits, validateEdit } from './edit';
export type { IniEdit, EditAction, EditOutcome, EditResult } from './edit';
export { iniView, narrowView } from './view';
export type { IniView, IniViewEntry, IniKeyRef } from './view';
export { pegasusSettings, isPegasusConfig } from './pegasus';
export type { PegasusSettings } from './pegasus';
