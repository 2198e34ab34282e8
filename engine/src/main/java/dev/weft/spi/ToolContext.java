package dev.weft.spi;

/** What a {@link Tool} knows of the call it answers. Given to one call on one thread; not shared. */
public interface ToolContext {
    /** The record whose agent made the call. */
    String recordId();

    /** The agent node that made the call. */
    String nodeName();

    /** The call's place in the node's trajectory ({@code "2.0"}: the first call of the model's third answer); stable across runs. */
    String callId();

    /** A seed unique to (workflow seed, record, node, visit, call): for a tool that draws at random reproducibly. */
    long seed();
}
