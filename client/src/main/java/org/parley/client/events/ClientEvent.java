package org.parley.client.events;

/**
 * Something a device learned that its user should see: what {@code receive} prints and what the
 * daemon streams. Each event is a record whose components are its JSON fields (see {@link
 * EventJson}, which also lists every {@link #type()}); a new event is a new record here plus one
 * line in {@link EventJson#TYPES}.
 */
public sealed interface ClientEvent
    permits MessageEvent,
        ReceiptEvent,
        UnlinkedEvent,
        WarningEvent,
        HistorySyncEvent,
        ReadEvent,
        GroupEvent,
        UntrustedEvent,
        IdentityChangedEvent,
        GroupWarningEvent,
        ContactNameEvent,
        ChatStateEvent,
        LabelEvent,
        LabelledEvent,
        AssignedEvent,
        NoteEvent,
        AttachmentEvent,
        WaitingEvent {
  /** The {@code type} field of the event's JSON object ({@code message}, {@code receipt}, ...). */
  String type();
}
