package org.parley.server.transport;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.parley.protocol.wire.Ack;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.Request;
import org.parley.protocol.wire.GetKeys;
import org.parley.protocol.wire.KeyUpload;
import org.parley.protocol.wire.NewDevice;
import org.parley.protocol.wire.Register;
import org.parley.protocol.wire.RequestCode;
import org.parley.protocol.wire.SendGroupMessage;
import org.parley.protocol.wire.SendMessage;
import org.parley.server.Limits;

/**
 * Every string and every repeated field of a request has a bound, checked at the edge before any
 * handler runs, and a refusal names it. Fields named here have their own bound and a name a user
 * understands; every other string is at most {@value #DEFAULT_STRING} characters and every other
 * list at most {@value #DEFAULT_REPEATED} entries, so a field added later is bounded too. Bytes
 * (ciphertexts, keys) are bounded by the frame size and by their handlers.
 */
public final class RequestBounds {
  static final int DEFAULT_STRING = 256;
  static final int DEFAULT_REPEATED = 4096;
  /** Device and list-entry names (docs/PROTOCOL.md §5), in characters. */
  public static final int MAX_NAME = 64;

  private record Bound(int max, String what) {}

  private final Map<FieldDescriptor, Bound> named = new HashMap<>();
  private final Map<Descriptor, List<FieldDescriptor>> checked = new ConcurrentHashMap<>();
  /** The bounds of the fields of a send and an ack, for {@link #plainlyWithin}. */
  private final int maxEnvelopes;
  private final int maxDeclined;
  private final int maxBlobIds;
  private final int maxAccount;
  private final int maxDeclinedAccount;
  private final int maxGuids;

  public RequestBounds(Limits limits, int maxCompanions) {
    int maxRecipients = limits.maxGroupMembers() * (1 + maxCompanions);
    bound(NewDevice.getDescriptor(), "name", MAX_NAME, "a device name");
    bound(RequestCode.getDescriptor(), "phone", 32, "a phone number");
    bound(Register.getDescriptor(), "phone", 32, "a phone number");
    bound(Register.getDescriptor(), "code", 16, "a verification code");
    bound(KeyUpload.getDescriptor(), "one_time_pre_keys", limits.maxOneTimeKeysPerUpload(), "one upload's one-time pre-keys");
    bound(KeyUpload.getDescriptor(), "one_time_kyber_pre_keys", limits.maxOneTimeKeysPerUpload(), "one upload's one-time Kyber pre-keys");
    bound(GetKeys.getDescriptor(), "device_ids", 128, "the device ids of one fetch");
    bound(org.parley.protocol.wire.GetKeysBatch.getDescriptor(), "targets", 1000, "the accounts of one batch fetch");
    bound(SendMessage.getDescriptor(), "messages", limits.maxEnvelopesPerRequest(), "the envelopes of one send");
    bound(SendMessage.getDescriptor(), "declined", limits.maxEnvelopesPerRequest(), "the declined devices of one send");
    bound(SendGroupMessage.getDescriptor(), "recipients", maxRecipients, "the recipients of one group message");
    bound(SendGroupMessage.getDescriptor(), "declined", maxRecipients, "the declined devices of one group message");
    bound(Ack.getDescriptor(), "guids", 4 * limits.deliveryWindow(), "the envelopes of one ack");
    maxEnvelopes = max(SendMessage.getDescriptor(), "messages", DEFAULT_REPEATED);
    maxDeclined = max(SendMessage.getDescriptor(), "declined", DEFAULT_REPEATED);
    maxBlobIds = max(SendMessage.getDescriptor(), "attachment_blob_ids", DEFAULT_REPEATED);
    maxAccount = max(OutgoingMessage.getDescriptor(), "destination_account", DEFAULT_STRING);
    maxDeclinedAccount = max(DeviceRef.getDescriptor(), "account_id", DEFAULT_STRING);
    maxGuids = max(Ack.getDescriptor(), "guids", DEFAULT_REPEATED);
  }

  private int max(Descriptor type, String field, int fallback) {
    return bound(type.findFieldByName(field), fallback).max();
  }

  private void bound(Descriptor type, String field, int max, String what) {
    FieldDescriptor descriptor = type.findFieldByName(field);
    if (descriptor == null) {
      throw new IllegalStateException(type.getName() + " has no field " + field);
    }
    named.put(descriptor, new Bound(max, what));
  }

  /** Why the request is out of bounds, as a sentence, or {@code null} when it is within them. */
  public String check(Message message) {
    if (message instanceof Request request && plainlyWithin(request)) {
      return null;
    }
    return walk(message);
  }

  /**
   * Whether a send or an ack (most requests by far) is within every bound, read through their
   * getters: the walk below goes through protobuf's reflection (every body field of a Request
   * asked in turn), which cost 1-2 µs per request. False for every other request and for one at
   * or past a bound; the walk then checks it and names what is wrong. Strings are compared by
   * UTF-16 length, which is never below the character count. {@code RequestBoundsTest} fails when
   * one of these types gains a field that this does not check.
   */
  private boolean plainlyWithin(Request request) {
    switch (request.getBodyCase()) {
      case ACK -> {
        return request.getAck().getGuidsCount() <= maxGuids;
      }
      case SEND_MESSAGE -> {
        SendMessage send = request.getSendMessage();
        if (send.getMessagesCount() > maxEnvelopes
            || send.getDeclinedCount() > maxDeclined
            || send.getAttachmentBlobIdsCount() > maxBlobIds) {
          return false;
        }
        for (OutgoingMessage message : send.getMessagesList()) {
          if (message.getDestinationAccount().length() > maxAccount) {
            return false;
          }
        }
        for (DeviceRef declined : send.getDeclinedList()) {
          if (declined.getAccountId().length() > maxDeclinedAccount) {
            return false;
          }
        }
        for (String blobId : send.getAttachmentBlobIdsList()) {
          if (blobId.length() > DEFAULT_STRING) {
            return false;
          }
        }
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  private String walk(Message message) {
    for (FieldDescriptor field : fields(message.getDescriptorForType())) {
      if (field.isRepeated()) {
        int count = message.getRepeatedFieldCount(field);
        Bound bound = bound(field, DEFAULT_REPEATED);
        if (count > bound.max()) {
          return bound.what() + " may be at most " + bound.max() + " entries; this request has " + count;
        }
        if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          for (int i = 0; i < count; i++) {
            String found = walk((Message) message.getRepeatedField(field, i));
            if (found != null) {
              return found;
            }
          }
        } else if (field.getJavaType() == FieldDescriptor.JavaType.STRING) {
          for (int i = 0; i < count; i++) {
            // A list's bound counts its entries; each entry is a string of the default bound.
            String found = checkString(null, (String) message.getRepeatedField(field, i));
            if (found != null) {
              return found;
            }
          }
        }
      } else if (field.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
        if (message.hasField(field)) {
          String found = walk((Message) message.getField(field));
          if (found != null) {
            return found;
          }
        }
      } else {
        String found = checkString(field, (String) message.getField(field));
        if (found != null) {
          return found;
        }
      }
    }
    return null;
  }

  private String checkString(FieldDescriptor field, String value) {
    if (value.length() <= DEFAULT_STRING && (field == null || !named.containsKey(field))) {
      return null;
    }
    Bound bound = field == null ? new Bound(DEFAULT_STRING, "an entry of a list") : bound(field, DEFAULT_STRING);
    // Characters as a user counts them; the UTF-16 length is an upper bound, so most values skip the count.
    if (value.length() > bound.max() && value.codePointCount(0, value.length()) > bound.max()) {
      return bound.what() + " may be at most " + bound.max() + " characters";
    }
    return null;
  }

  private Bound bound(FieldDescriptor field, int fallback) {
    Bound bound = named.get(field);
    return bound != null ? bound : new Bound(fallback, field.getContainingType().getName() + "." + field.getName());
  }

  /** The fields worth visiting: strings, repeated fields and messages, listed once per type. */
  private List<FieldDescriptor> fields(Descriptor type) {
    return checked.computeIfAbsent(type, t -> {
      List<FieldDescriptor> out = new ArrayList<>();
      for (FieldDescriptor f : t.getFields()) {
        if (f.isRepeated()
            || f.getJavaType() == FieldDescriptor.JavaType.STRING
            || f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
          out.add(f);
        }
      }
      return List.copyOf(out);
    });
  }
}
