package dev.weft.run;

/** How a run uses the step cache. */
public enum CacheMode {
    /** Reuse remembered answers; call the model on a miss and remember its answer. */
    USE,
    /** Always call the model (fresh samples); the new answers replace the remembered ones. */
    REFRESH,
    /** Never call a model: a miss fails that record. For offline replay. */
    ONLY
}
