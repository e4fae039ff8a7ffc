package org.parley.client.messaging;

import java.util.UUID;
import org.parley.protocol.wire.Content;
import org.parley.protocol.wire.Envelope;

/** A decrypted envelope: who sent it, from which device, and what it says. */
public record Incoming(Envelope envelope, UUID sender, int senderDevice, String senderPhone, Content content) {}
