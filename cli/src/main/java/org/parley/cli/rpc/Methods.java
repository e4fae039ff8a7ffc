package org.parley.cli.rpc;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.parley.cli.commands.AddDeviceCommand;
import org.parley.cli.commands.AssignCommand;
import org.parley.cli.commands.AttachmentCommand;
import org.parley.cli.commands.ChatsCommand;
import org.parley.cli.commands.ContactsCommand;
import org.parley.cli.commands.LabelsCommand;
import org.parley.cli.commands.NotesCommand;
import org.parley.cli.commands.DevicesCommand;
import org.parley.cli.commands.GroupsCommand;
import org.parley.cli.commands.Handler;
import org.parley.cli.commands.HistoryCommand;
import org.parley.cli.commands.LinkCommand;
import org.parley.cli.commands.ReadCommand;
import org.parley.cli.commands.ReceiveCommand;
import org.parley.cli.commands.RegisterCommand;
import org.parley.cli.commands.SafetyNumberCommand;
import org.parley.cli.commands.RegistrationLockCommand;
import org.parley.cli.commands.SendCommand;
import org.parley.cli.commands.SettingsCommand;
import org.parley.cli.commands.TrustCommand;
import org.parley.cli.commands.UnlinkCommand;
import org.parley.cli.commands.VerifyCommand;

/**
 * The JSON-RPC methods a daemon serves: every command's handlers, by method name. A new command's
 * handler constant is added to {@link #all()}. (The connection's own methods, {@code
 * subscribeReceive} and friends, are the transports'.)
 */
public final class Methods {
  /** The {@code version} method's result. */
  public record Version(String version) {}

  public static final String VERSION = "0.1.0";

  public static final Handler<Handler.None, Version> VERSION_METHOD =
      Handler.of("version", Handler.None.class, Version.class, (device, p, caller) -> new Version(VERSION));

  private final Map<String, Handler<?, ?>> byName = new LinkedHashMap<>();

  public Methods(List<Handler<?, ?>> handlers) {
    for (Handler<?, ?> handler : handlers) {
      if (byName.put(handler.method(), handler) != null) {
        throw new IllegalStateException("two handlers for method " + handler.method());
      }
    }
  }

  public static Methods all() {
    return new Methods(
        List.of(
            VERSION_METHOD,
            RegisterCommand.REGISTER,
            VerifyCommand.VERIFY,
            LinkCommand.START_LINK,
            LinkCommand.START_LINK_CODE,
            LinkCommand.FINISH_LINK,
            LinkCommand.AWAIT_HISTORY,
            AddDeviceCommand.ADD_DEVICE,
            DevicesCommand.LIST_DEVICES,
            UnlinkCommand.REMOVE_DEVICE,
            SendCommand.SEND,
            ReceiveCommand.RECEIVE,
            HistoryCommand.HISTORY,
            ReadCommand.MARK_READ,
            ReadCommand.SEND_RECEIPT,
            SafetyNumberCommand.SAFETY_NUMBER,
            GroupsCommand.UPDATE_GROUP,
            GroupsCommand.QUIT_GROUP,
            GroupsCommand.LIST_GROUPS,
            TrustCommand.TRUST,
            SettingsCommand.SETTINGS,
            RegistrationLockCommand.SET_REGISTRATION_LOCK,
            ContactsCommand.UPDATE_CONTACT,
            ContactsCommand.LIST_CONTACTS,
            ChatsCommand.LIST_CHATS,
            ChatsCommand.UPDATE_CHAT,
            LabelsCommand.LIST_LABELS,
            LabelsCommand.CREATE_LABEL,
            LabelsCommand.UPDATE_LABEL,
            LabelsCommand.DELETE_LABEL,
            LabelsCommand.ADD_LABEL,
            LabelsCommand.REMOVE_LABEL,
            AssignCommand.ASSIGN_CHAT,
            NotesCommand.ADD_NOTE,
            NotesCommand.LIST_NOTES,
            AttachmentCommand.GET_ATTACHMENT));
  }

  public Handler<?, ?> get(String method) {
    return byName.get(method);
  }

  public Set<String> names() {
    return byName.keySet();
  }
}
