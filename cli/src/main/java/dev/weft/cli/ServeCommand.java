package dev.weft.cli;

import dev.weft.store.Store;
import dev.weft.web.WebServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve the dashboard: runs, their graphs, records and traces, workflows; start, resume and cancel runs.",
                "Runs started from the page may read and write only inside the FOLDERs (default: the current folder)."})
final class ServeCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "FOLDER", description = "Folders with workflows and data (default: the current folder).")
    List<Path> folders = new ArrayList<>();

    @Option(names = "--host", paramLabel = "H", defaultValue = "127.0.0.1",
            description = "Address to listen on (default ${DEFAULT-VALUE}). On any other address, actions need the token.")
    String host;

    @Option(names = "--port", paramLabel = "P", defaultValue = "7070", description = "Port (default ${DEFAULT-VALUE}; 0 for any free port).")
    int port;

    @Option(names = "--token", paramLabel = "T",
            description = "Token that actions (start, resume, cancel, export) need; generated when listening beyond loopback without one.")
    String token;

    @Mixin
    StoreOptions storeOptions;

    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        if (port < 0 || port > 65535) throw new UserInputException("--port must be 0..65535");
        for (Path f : folders) {
            if (!Files.isDirectory(f)) throw new UserInputException("no folder " + f + " to serve");
        }
        List<Path> served = folders.isEmpty() ? List.of(Path.of(".")) : folders;
        var out = spec.commandLine().getOut();
        Store store = storeOptions.open();
        WebServer server;
        try {
            server = WebServer.start(store, new WebServer.Config(host, port, token, served, System.getenv()), Weft::loader);
        } catch (RuntimeException e) {
            store.close();
            throw new dev.weft.WeftException("cannot listen on " + host + ":" + port + ": " + rootMessage(e)
                    + " (another program may use the port; pick one with --port)", e);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        // Ctrl-C or SIGTERM: runs started here end interrupted (resumable), then the store closes.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            store.close();
            stopped.countDown();
        }));
        out.println("Weft dashboard on " + server.url() + "  (store " + store.file() + "; Ctrl-C to stop)");
        out.println("serving workflows and data from " + String.join(", ", served.stream().map(p -> p.toAbsolutePath().normalize().toString()).toList()));
        if (server.token() != null) {
            out.println("actions need the token " + server.token() + "  (open " + server.url() + "?token=" + server.token() + ")");
        }
        if (!loopback(host)) {
            out.println("warning: listening on " + host + ": anyone who can reach it can read every run in the store");
        }
        out.flush();
        stopped.await();
        return Weft.OK;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) t = t.getCause();
        return String.valueOf(t.getMessage());
    }

    private static boolean loopback(String host) {
        try {
            return java.net.InetAddress.getByName(host).isLoopbackAddress();
        } catch (java.net.UnknownHostException e) {
            return false;
        }
    }
}
