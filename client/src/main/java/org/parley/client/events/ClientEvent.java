package org.parley.client.events;

/** Something a device learned that its user should see: what {@code receive} prints. */
public sealed interface ClientEvent
    permits MessageEvent,
        ReceiptEvent,
        UnlinkedEvent,
        WarningEvent,
        HistorySyncEvent,
        ReadEvent,
        GroupEvent,
        UntrustedEvent,
        IdentityChangedEvent {}
