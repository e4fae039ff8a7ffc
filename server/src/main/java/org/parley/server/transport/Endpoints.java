package org.parley.server.transport;

import java.util.concurrent.Executor;
import org.parley.server.Limits;
import org.parley.server.auth.Authenticator;

/** What every connection's pipeline is built from. */
record Endpoints(
    Authenticator authenticator,
    RequestRouter router,
    SessionListener listener,
    DeliveryHooks acks,
    FrameCodec frameCodec,
    Executor blocking,
    Limits limits,
    RequestBounds bounds,
    ConnectionAdmission admission,
    ClientAddresses addresses) {}
