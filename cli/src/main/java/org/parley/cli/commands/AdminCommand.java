package org.parley.cli.commands;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import org.parley.cli.Durations;
import org.parley.cli.Main;
import org.parley.server.ops.AdminEndpointFile;
import org.parley.server.ops.DataDirectoryLock;
import org.parley.server.store.sqlite.SqliteRestore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code parley admin}: the operator's commands. They talk to the running server through its admin
 * listener, found (with its token) in the data directory's admin.properties, so they need exactly the
 * access that the data directory gives. Only restore works on a stopped server, and only on one.
 */
@Command(
    name = "admin",
    mixinStandardHelpOptions = true,
    description = {
      "Operate a running server: stats, accounts, tombstones, backups.",
      "Talks to the server's admin listener; needs read access to its data directory."
    },
    subcommands = {
      AdminCommand.Stats.class,
      AdminCommand.Account.class,
      AdminCommand.DeleteAccount.class,
      AdminCommand.PurgeTombstones.class,
      AdminCommand.Backup.class,
      AdminCommand.Restore.class
    })
public final class AdminCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      defaultValue = "${env:PARLEY_DATA:-parley-data}",
      description = "The server's data directory (default: $PARLEY_DATA or parley-data).",
      scope = picocli.CommandLine.ScopeType.INHERIT)
  Path data;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "name an admin command; see 'parley admin --help'");
  }

  Main.Context context() {
    return ((Main) spec.root().userObject()).context();
  }

  /** One request to the running server's admin API; the body of a 200 answer. */
  HttpResponse<InputStream> call(String method, String path) throws IOException, InterruptedException {
    AdminEndpointFile.Endpoint endpoint;
    try {
      endpoint = AdminEndpointFile.read(data);
    } catch (NoSuchFileException e) {
      throw new IllegalStateException(
          "no running server on " + data + " (no " + AdminEndpointFile.NAME + "); start it, or give --data");
    }
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(endpoint.url() + path))
            .header("Authorization", "Bearer " + endpoint.token())
            .method(method, HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<InputStream> response;
    try {
      response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (ConnectException e) {
      throw new IllegalStateException(
          "the server on " + data + " does not answer at " + endpoint.url() + "; is it running?");
    }
    if (response.statusCode() != 200) {
      String text;
      try (InputStream body = response.body()) {
        text = new String(body.readAllBytes(), StandardCharsets.UTF_8).strip();
      }
      throw new IllegalStateException(text.isEmpty() ? "the server answered " + response.statusCode() : text);
    }
    return response;
  }

  JsonNode json(String method, String path) throws IOException, InterruptedException {
    try (InputStream body = call(method, path).body()) {
      return JSON.readTree(body);
    }
  }

  /** Prints an answer as one JSON line, or as "key: value" lines. */
  void print(JsonNode answer, boolean asJson) throws IOException {
    var out = context().out();
    if (asJson) {
      out.println(JSON.writeValueAsString(answer));
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = answer.fields(); it.hasNext(); ) {
      var field = it.next();
      if (field.getValue().isArray()) {
        out.println(field.getKey() + ":");
        for (JsonNode item : field.getValue()) {
          out.println("  " + JSON.writeValueAsString(item));
        }
      } else {
        out.println(field.getKey() + ": " + field.getValue().asText());
      }
    }
  }

  static String encode(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Command(name = "stats", mixinStandardHelpOptions = true, description = "Accounts, devices, queued envelopes, connections, uptime.")
  static final class Stats implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      admin.print(admin.json("GET", "/admin/stats"), json);
      return 0;
    }
  }

  @Command(name = "account", mixinStandardHelpOptions = true, description = "Look up an account by +E164 or id: its devices, when they were seen, what waits for them.")
  static final class Account implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Parameters(paramLabel = "+E164|ID")
    String who;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      admin.print(admin.json("GET", "/admin/accounts/" + encode(who)), json);
      return 0;
    }
  }

  @Command(
      name = "delete-account",
      mixinStandardHelpOptions = true,
      description = {
        "Delete an account: its devices are unlinked (and told why), its keys and waiting envelopes",
        "deleted, its number forgotten. Registering the number again makes a new account."
      })
  static final class DeleteAccount implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Parameters(paramLabel = "+E164|ID")
    String who;

    @Option(names = "--yes", description = "Really delete (there is no undo but a restore).")
    boolean yes;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (!yes) {
        throw new IllegalArgumentException("deleting " + who + " cannot be undone; add --yes to do it");
      }
      admin.print(admin.json("DELETE", "/admin/accounts/" + encode(who)), json);
      return 0;
    }
  }

  @Command(
      name = "purge-tombstones",
      mixinStandardHelpOptions = true,
      description = {
        "Forget unlinked devices older than a duration. Until then such a device is told why it was",
        "unlinked when it connects; afterwards it is refused as unknown."
      })
  static final class PurgeTombstones implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Option(names = "--older-than", paramLabel = "DURATION", converter = Durations.class, defaultValue = "90d", description = "(default: ${DEFAULT-VALUE})")
    Duration olderThan;

    @Option(names = "--json", description = "One JSON object.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      admin.print(admin.json("POST", "/admin/tombstones/purge?older-than-ms=" + olderThan.toMillis()), json);
      return 0;
    }
  }

  @Command(
      name = "backup",
      mixinStandardHelpOptions = true,
      description = {
        "Copy the running embedded store to FILE, consistent, without stopping the server",
        "(SQLite's online backup). Restore it with 'parley admin restore FILE'."
      })
  static final class Backup implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws Exception {
      if (Files.exists(file)) {
        throw new IllegalArgumentException(file + " exists; name a new file");
      }
      Path partial = file.resolveSibling(file.getFileName() + ".partial");
      try (InputStream body = admin.call("GET", "/admin/backup").body()) {
        Files.copy(body, partial, StandardCopyOption.REPLACE_EXISTING);
        String checked = SqliteRestore.check(partial);
        Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
        admin.context().out().println("backup written to " + file + " (" + Files.size(file) + " bytes, " + checked + ")");
      } finally {
        Files.deleteIfExists(partial);
      }
      return 0;
    }
  }

  @Command(
      name = "restore",
      mixinStandardHelpOptions = true,
      description = {
        "Put a backup in place of a STOPPED server's store (the store it replaces is kept beside it).",
        "Messages stored after the backup was taken are not in it."
      })
  static final class Restore implements Callable<Integer> {
    @ParentCommand AdminCommand admin;

    @Parameters(paramLabel = "FILE")
    Path file;

    @Override
    public Integer call() throws Exception {
      try (DataDirectoryLock lock =
          DataDirectoryLock.tryAcquire(admin.data)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "a server is running on " + admin.data + "; stop it before restoring"))) {
        String checked = SqliteRestore.check(file);
        Path kept = SqliteRestore.restore(file, admin.data, Long.toString(admin.context().clock().millis()));
        admin.context().out().println(
            "restored " + file + " (" + checked + ") into " + admin.data
                + (kept == null ? "" : "; the previous store is kept as " + kept));
      }
      return 0;
    }
  }
}
