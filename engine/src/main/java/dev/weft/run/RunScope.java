package dev.weft.run;

import dev.weft.model.ModelGateway;
import dev.weft.retrieve.CorpusIndexes;
import dev.weft.sink.OutputFormat;
import dev.weft.store.Store;
import dev.weft.template.TemplateEngine;
import dev.weft.workflow.Workflow;

/**
 * What every record of one run shares: the workflow, the models, the store, the corpus indexes, the cache mode, the
 * counters, the output format (null without a sink), the order gate, and whether the run is resumed (records then
 * start over what an earlier attempt left). Immutable; its parts are thread-safe.
 */
record RunScope(Workflow workflow, String runId, TemplateEngine templates, ModelGateway models, Store store, CorpusIndexes indexes,
                CacheMode cacheMode, RunMonitor monitor, OutputFormat format, OrderGate gate, boolean resuming) {}
