package dev.weft.cli;

import dev.weft.store.Store;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** {@code --db PATH}, shared by every command. */
final class StoreOptions {
    @Option(names = "--db", paramLabel = "PATH", defaultValue = ".weft/weft.db",
            description = "The store (runs, steps, cache). Default: ${DEFAULT-VALUE}")
    Path db;

    Store open() {
        return Store.open(db);
    }

    /** Opens an existing store only; reading commands should not create one by accident. */
    Store openExisting() {
        if (!Files.exists(db)) throw new UserInputException("no store at " + db + "; run a workflow first, or pass --db PATH");
        return Store.open(db);
    }

    /** Accepts a full run id or a unique prefix of one. */
    static String resolveRun(Store store, String given) {
        List<String> ids = store.runIdsStartingWith(given);
        if (ids.contains(given)) return given;
        if (ids.isEmpty()) throw new UserInputException("no run '" + given + "' in " + store.file() + "; `weft runs` lists them");
        if (ids.size() > 1) throw new UserInputException("'" + given + "' matches " + ids.size() + " runs (" + String.join(", ", ids.subList(0, Math.min(5, ids.size()))) + "); type more of the id");
        return ids.get(0);
    }
}
