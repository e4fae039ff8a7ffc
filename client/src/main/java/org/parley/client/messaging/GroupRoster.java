package org.parley.client.messaging;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.parley.client.ClientException;
import org.parley.client.net.ServerConnection;
import org.parley.client.net.ServerException;
import org.parley.client.store.GroupStore;
import org.parley.client.store.GroupStore.LocalGroup;
import org.parley.client.store.GroupStore.Member;
import org.parley.protocol.wire.GetGroup;
import org.parley.protocol.wire.Group;
import org.parley.protocol.wire.ListGroups;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.Status;

/**
 * This device's view of its groups, kept up to date from what the server says: its answers to group
 * requests and its notices of changes. The server is the authority on membership (DESIGN.md §9).
 */
public final class GroupRoster {
  private final GroupStore store;
  private final UUID ownAccount;

  public GroupRoster(GroupStore store, UUID ownAccount) {
    this.store = store;
    this.ownAccount = ownAccount;
  }

  /** Stores the server's description of a group (unless a newer one is known) and returns the view. */
  public LocalGroup store(Group group) {
    List<Member> members =
        group.getMembersList().stream()
            .map(m -> new Member(UUID.fromString(m.getAccountId()), m.getPhone(), m.getAdmin()))
            .toList();
    boolean member = members.stream().anyMatch(m -> m.account().equals(ownAccount));
    store.update(group.getGroupId(), group.getName(), group.getVersion(), member, members);
    return store.get(group.getGroupId()).orElseThrow();
  }

  /** This account is no longer in the group: keep its name and history, forget who is in it. */
  public void left(String groupId, String name, long version) {
    store.update(groupId, name, version, false, List.of());
    store.retireSenderKey(groupId);
  }

  /** Asks the server for the group; fails with a sentence to show when this account is not in it. */
  public LocalGroup refresh(ServerConnection server, String groupId) {
    try {
      return store(server.call(Request.newBuilder().setGetGroup(GetGroup.newBuilder().setGroupId(groupId))).getGroup());
    } catch (ServerException e) {
      if (e.status() == Status.FORBIDDEN) {
        store.get(groupId).ifPresent(g -> left(groupId, g.name(), g.version()));
        throw new ClientException(
            "NOT_A_MEMBER",
            "this account is not a member of group " + groupId + "; ask one of its admins to add it",
            e);
      }
      if (e.status() == Status.NOT_FOUND || e.status() == Status.BAD_REQUEST) {
        throw new ClientException(
            "NO_SUCH_GROUP", "there is no group " + groupId + "; 'parley groups list' shows yours", e);
      }
      throw e;
    }
  }

  /** Asks the server for every group of this account; those it no longer lists were left. */
  public List<LocalGroup> refreshAll(ServerConnection server) {
    List<Group> listed =
        server.call(Request.newBuilder().setListGroups(ListGroups.getDefaultInstance())).getGroupList().getGroupsList();
    Set<String> ids = new HashSet<>();
    for (Group group : listed) {
      store(group);
      ids.add(group.getGroupId());
    }
    for (LocalGroup known : store.all()) {
      if (known.member() && !ids.contains(known.id())) {
        left(known.id(), known.name(), known.version());
      }
    }
    return store.all().stream().filter(g -> ids.contains(g.id())).toList();
  }
}
