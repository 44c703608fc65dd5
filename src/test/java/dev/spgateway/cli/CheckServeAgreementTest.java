package dev.spgateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.spgateway.identity.ApiKeys;
import dev.spgateway.sandbox.Sandbox;
import dev.spgateway.testing.HostileGateway;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code check} must decide exactly as {@code serve} does: one table of requests goes through a running gateway (raw
 * bytes) and through {@code check} with the same config, and the two answers must agree.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CheckServeAgreementTest {

  static final Pattern DENIED = Pattern.compile("DENIED \\((\\d{3})");

  HostileGateway gateway;
  Path checkConfig;
  Path dir;

  @BeforeAll
  void start(@TempDir Path dir) throws IOException {
    this.dir = dir;
    gateway = HostileGateway.start(Files.createDirectory(dir.resolve("serve")));
    // The same file, its sandbox values written in: check contacts nothing, so any well-formed value does.
    String config = Files.readString(gateway.configFile())
        .replace("${SANDBOX_PORT}", "0").replace("${SANDBOX_ADMIN_PORT}", "0")
        .replace("${SANDBOX_AUTHORITY}", "http://127.0.0.1:1").replace("${SANDBOX_TENANT}", Sandbox.TENANT)
        .replace("${SANDBOX_VAULT_URL}", "https://127.0.0.1:1").replace("${SANDBOX_VAULT_READER_ID}", Sandbox.TENANT)
        .replace("${SANDBOX_VAULT_READER_SECRET}", "unused").replace("${SANDBOX_TRUST_PEM}", gateway.configFile().toString())
        .replace("${SANDBOX_FINANCE_ID}", Sandbox.TENANT).replace("${SANDBOX_AUDIT_FILE}", dir.resolve("check.jsonl").toString())
        .replace("${SANDBOX_CALLER_KEY_SHA256}", ApiKeys.sha256Hex(gateway.callerKey()));
    checkConfig = Files.writeString(dir.resolve("check.yaml"), config);
  }

  @AfterAll
  void stop() {
    gateway.close();
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', textBlock = """
      GET    | /graph/v1.0/users                                  |                  |
      get    | /graph/v1.0/users                                  |                  |
      Get    | /graph/v1.0/users/abc                              |                  |
      GET    | /graph/V1.0/USERS/alice%40contoso.com?$select=id   |                  |
      GET    | /graph/v1.0/users/../groups                        |                  |
      GET    | /graph/v1.0/users?$select=id;$expand=memberOf      |                  |
      GET    | /graph/v1.0/groups                                 |                  |
      GET    | /graph                                             |                  |
      GET    | /unknown/v1.0/users                                |                  |
      DELETE | /graph/v1.0/users/abc                              |                  |
      POST   | /graph/v1.0/users/abc/sendMail                     | application/json | {}
      post   | /graph/v1.0/users/abc/sendMail                     | application/json | {}
      POST   | /graph/v1.0/users/abc/sendMail                     | text/plain       | hello
      GET    | /crm/api/data/v9.2/accounts?$top=500               |                  |
      GET    | /crm/api/data/v9.2/accounts?$top=501               |                  |
      GET    | /crm/api/data/v9.2/accounts?$expand=owninguser     |                  |
      POST   | /crm/api/data/v9.2/accounts                        | application/json | {}
      POST   | /graph/v1.0/$batch                                 | application/json | {"requests":[{"id":"1","method":"GET","url":"/users"}]}
      post   | /graph/v1.0/$batch                                 | application/json | {"requests":[{"id":"1","method":"GET","url":"/users"}]}
      POST   | /graph/v1.0/$batch                                 | application/json | {"requests":[{"id":"1","method":"GET","url":"/groups"}]}
      POST   | /graph/v1.0/$BATCH                                 | application/json | {"requests":[]}
      """)
  void checkAndServeGiveTheSameAnswer(String method, String target, String contentType, String body) throws IOException {
    int served = gateway.send(gateway.head(method, target, contentType == null ? new String[0]
        : new String[] {"Content-Type: " + contentType}) + (body == null ? "\r\n" : "Content-Length: " + body.length()
        + "\r\n\r\n" + body)).status();

    List<String> args = new ArrayList<>(List.of("check", "--config", checkConfig.toString(), "--as", "invoice-flow"));
    if (body != null) {
      args.addAll(List.of("--body", Files.writeString(Files.createTempFile(dir, "body", ".txt"), body).toString(),
          "--content-type", contentType));
    }
    args.add(method + " " + target);
    StringWriter out = new StringWriter();
    picocli.CommandLine commandLine = Main.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(out, true));
    int code = commandLine.execute(args.toArray(String[]::new));
    Matcher denied = DENIED.matcher(out.toString());
    int checked = code == 0 ? 200 : denied.find() ? Integer.parseInt(denied.group(1)) : -code;

    assertThat(checked).as("check said: " + out + "; serve answered " + served).isEqualTo(served);
  }
}
