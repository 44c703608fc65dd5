package dev.spgateway.cli;

import dev.spgateway.identity.ApiKeys;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "hash-key", mixinStandardHelpOptions = true,
    description = "Makes a new random caller key and prints it with the hash to put in the config.")
final class HashKeyCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    String key = ApiKeys.generate();
    var out = spec.commandLine().getOut();
    out.println("Caller key (give it to the flow or script; it is not stored anywhere and is shown only now):");
    out.println("  " + key);
    out.println("Put this under the caller in the config:");
    out.println("  apiKey: { sha256: " + ApiKeys.sha256Hex(key) + " }");
    out.println("The caller sends the key in the " + ApiKeys.HEADER + " header.");
    return 0;
  }
}
