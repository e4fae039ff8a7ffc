package org.parley.cli.commands;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.parley.cli.output.Output;
import org.parley.client.appstate.AppStateViews.ContactView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code parley contacts name|list}: the account's own address book (app state, DESIGN.md §16),
 * synced to every own device. Names are shown instead of numbers wherever messages are printed.
 */
@Command(
    name = "contacts",
    mixinStandardHelpOptions = true,
    description = "Name contacts in the account's address book (on every own device), list them.",
    subcommands = {ContactsCommand.Name.class, ContactsCommand.ListContacts.class})
public final class ContactsCommand implements Runnable {
  @Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "name a contacts command; see 'parley contacts --help'");
  }

  /** @param name the name; empty or absent removes it */
  public record UpdateParams(String recipient, String name) {}

  public record Contacts(List<ContactView> contacts) {}

  /** {@code updateContact}: names a number in the address book, or removes its name. */
  public static final Handler<UpdateParams, Changed> UPDATE_CONTACT =
      Handler.of("updateContact", UpdateParams.class, Changed.class, (device, p, caller) -> {
        String phone = Require.text(p.recipient(), "recipient");
        boolean remove = p.name() == null || p.name().isBlank();
        return Changed.of(
            remove ? "removed the name of " + phone : "named " + phone + " '" + p.name().strip() + "'",
            device.appState().nameContact(phone, p.name()));
      });

  /** {@code listContacts}: every number this device knows or the address book names, with its name. */
  public static final Handler<Handler.None, Contacts> LIST_CONTACTS =
      Handler.of("listContacts", Handler.None.class, Contacts.class,
          (device, p, caller) -> new Contacts(device.appState().views().contacts()));

  @Command(
      name = "name",
      mixinStandardHelpOptions = true,
      description = "Give a number a name in the account's address book (\"\" removes it); every own device shows it.")
  static final class Name extends DeviceCommand<Changed> {
    @Parameters(index = "0", paramLabel = "+E164", description = "The contact's number.")
    String phone;

    @Parameters(index = "1", paramLabel = "NAME", description = "The name (at most 100 characters); \"\" removes it.")
    String name;

    @Override
    protected Changed run(Invoker invoker, Output output) {
      return invoker.call(UPDATE_CONTACT, new UpdateParams(phone, name));
    }

    @Override
    protected void render(Changed result, Output output) {
      result.render(output);
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List the contacts: number, name.")
  static final class ListContacts extends DeviceCommand<Contacts> {
    @Override
    protected Contacts run(Invoker invoker, Output output) {
      return invoker.call(LIST_CONTACTS, new Handler.None());
    }

    @Override
    protected void render(Contacts result, Output output) {
      for (ContactView contact : result.contacts()) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("number", contact.number());
        fields.put("name", output.json() ? contact.name() : org.parley.cli.output.SafeText.shown(contact.name()));
        if (output.json()) {
          fields.put("accountId", contact.accountId());
        }
        output.record("contact", fields);
      }
    }
  }
}
