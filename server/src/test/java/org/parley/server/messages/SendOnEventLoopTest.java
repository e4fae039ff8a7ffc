package org.parley.server.messages;

import static org.assertj.core.api.Assertions.assertThat;
import static org.parley.server.store.StoreFixtures.link;
import static org.parley.server.store.StoreFixtures.register;

import com.google.protobuf.ByteString;
import io.netty.channel.embedded.EmbeddedChannel;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parley.protocol.wire.CiphertextType;
import org.parley.protocol.wire.DeviceRef;
import org.parley.protocol.wire.OutgoingMessage;
import org.parley.protocol.wire.SendMessage;
import org.parley.server.Limits;
import org.parley.server.blobs.BlobLimits;
import org.parley.server.blobs.BlobService;
import org.parley.server.cluster.InProcessNodeBus;
import org.parley.server.limits.Backoff;
import org.parley.server.limits.LocalRateLimiter;
import org.parley.server.limits.Rate;
import org.parley.server.limits.RateLimiter;
import org.parley.server.limits.Throttle;
import org.parley.server.store.Accounts;
import org.parley.server.store.DeviceAddress;
import org.parley.server.store.Queues;
import org.parley.server.store.sqlite.SqliteStorage;
import org.parley.server.transport.Session;
import org.parley.server.transport.TestSessions;

/**
 * A send said not to block runs on its connection's event loop, where a read of the store or a
 * round trip to Redis would stall every other connection of that loop. Whatever send would read
 * (a device list or a queue count not in memory, an attachment grant) or ask the network (shared
 * rate limits) must be sent to a request thread instead.
 */
class SendOnEventLoopTest {
  @TempDir Path dir;
  private SqliteStorage storage;
  private UUID sender;
  private UUID recipient;
  private Session session;

  @BeforeEach
  void open() {
    storage = new SqliteStorage(dir);
    sender = register(storage, "+15550008001");
    recipient = register(storage, "+15550008002");
    session = TestSessions.device(new EmbeddedChannel(), storage.accounts().device(new DeviceAddress(sender, 1)).orElseThrow(), Runnable::run);
  }

  @AfterEach
  void close() {
    storage.close();
  }

  @Test
  void aSendToAKnownContactRunsOnTheLoopOnceWhatItReadsIsInMemory() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    assertThat(service.nonBlocking(session, toRecipient())).as("nothing read yet").isFalse();

    warm();

    assertThat(service.nonBlocking(session, toRecipient())).isTrue();
  }

  @Test
  void aDeviceChangeOfTheRecipientSendsTheNextSendOffTheLoop() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    warm();

    link(storage, recipient);

    assertThat(service.nonBlocking(session, toRecipient())).as("its device list must be read again").isFalse();
  }

  @Test
  void aDeviceChangeOfTheSenderSendsTheNextSendOffTheLoop() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    warm();

    link(storage, sender);

    assertThat(service.nonBlocking(session, toRecipient())).isFalse();
  }

  @Test
  void aQueueNotCountedYetSendsItOffTheLoop() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    warm();
    SendMessage toUncounted =
        toRecipient().toBuilder().addMessages(message(recipient, 9)).build();

    assertThat(service.nonBlocking(session, toUncounted)).isFalse();
  }

  @Test
  void aDeclinedAccountWithoutACachedListSendsItOffTheLoop() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    warm();
    UUID third = register(storage, "+15550008003");
    SendMessage declining =
        toRecipient().toBuilder().addDeclined(DeviceRef.newBuilder().setAccountId(third.toString()).setDeviceId(1)).build();

    assertThat(service.nonBlocking(session, declining)).isFalse();
  }

  @Test
  void attachmentsSharedLimitsOrASingleDeviceSendGoOffTheLoop() {
    warm();
    MessageService local = service(new LocalRateLimiter(Clock.systemUTC()));
    MessageService shared = service(new SharedLimits());

    assertThat(local.nonBlocking(session, toRecipient().toBuilder().addAttachmentBlobIds("b1").build())).isFalse();
    assertThat(local.nonBlocking(session, toRecipient().toBuilder().setSingleDevice(true).build())).isFalse();
    assertThat(shared.nonBlocking(session, toRecipient())).isFalse();
  }

  @Test
  void withoutRateLimitsASendRunsOnTheLoopToo() {
    warm();

    assertThat(service(RateLimiter.unlimited()).nonBlocking(session, toRecipient())).isTrue();
  }

  @Test
  void anAccountIdThatIsNoneGoesOffTheLoopToBeRefused() {
    MessageService service = service(new LocalRateLimiter(Clock.systemUTC()));
    warm();
    OutgoingMessage bad = OutgoingMessage.newBuilder().setDestinationAccount("not-an-id").setDestinationDevice(1).build();

    assertThat(service.nonBlocking(session, toRecipient().toBuilder().addMessages(bad).build())).isFalse();
  }

  @Test
  void aSendSaidNotToBlockReadsNothingFromTheStore() throws Exception {
    warm();
    Accounts accounts = readsForbidden(Accounts.class, storage.accounts(), (method, args) -> switch (method) {
      case "routingCached" -> true;
      case "routingDevices" -> storage.accounts().routingCached((UUID) args[0]);
      default -> false;
    });
    Queues queues = readsForbidden(Queues.class, storage.queues(), (method, args) -> switch (method) {
      case "countsKnown", "append" -> true;
      case "length", "bytes" -> storage.queues().countsKnown((DeviceAddress) args[0]);
      default -> false;
    });
    MessageService service =
        new MessageService(
            accounts, queues, new Presence(new InProcessNodeBus()), Clock.systemUTC(), Limits.defaults(),
            new BlobService(null, Clock.systemUTC(), BlobLimits.defaults()), new Throttle(new LocalRateLimiter(Clock.systemUTC())));
    SendMessage send =
        SendMessage.newBuilder()
            .setTimestamp(1)
            .addMessages(message(recipient, 1).toBuilder().setDestinationRegistrationId(4242)
                .setType(CiphertextType.WHISPER).setContent(ByteString.copyFromUtf8("ciphertext")))
            .build();

    assertThat(service.nonBlocking(session, send)).isTrue();
    assertThat(service.send(session, send).get(10, TimeUnit.SECONDS).getSent().getEnvelopes()).isEqualTo(1);
  }

  /**
   * The store's {@code type}, where every call {@code allowed} does not let through fails the test:
   * what send() does besides on the event loop must come from memory (or be handed to the writer).
   */
  private static <T> T readsForbidden(Class<T> type, T store, java.util.function.BiPredicate<String, Object[]> allowed) {
    return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) -> {
      if (!allowed.test(method.getName(), args)) {
        throw new AssertionError("send read the store on the event loop: " + type.getSimpleName() + "." + method.getName());
      }
      try {
        return method.invoke(store, args);
      } catch (java.lang.reflect.InvocationTargetException e) {
        throw e.getCause();
      }
    }));
  }

  /** What a first send on a request thread leaves in memory: both device lists and the queue counts. */
  private void warm() {
    storage.accounts().routingDevices(sender);
    storage.accounts().routingDevices(recipient);
    storage.queues().length(new DeviceAddress(recipient, 1));
  }

  private MessageService service(RateLimiter limiter) {
    return new MessageService(
        storage.accounts(), storage.queues(), null, Clock.systemUTC(), Limits.defaults(), null, new Throttle(limiter));
  }

  private SendMessage toRecipient() {
    return SendMessage.newBuilder().setTimestamp(1).addMessages(message(recipient, 1)).build();
  }

  private static OutgoingMessage message(UUID account, int device) {
    return OutgoingMessage.newBuilder().setDestinationAccount(account.toString()).setDestinationDevice(device).build();
  }

  /**
   * Limits counted where the network reaches, as Redis keeps them for a cluster: the local limiter's
   * answers, without its promise never to wait.
   */
  private static final class SharedLimits implements RateLimiter {
    private final RateLimiter counts = new LocalRateLimiter(Clock.systemUTC());

    @Override
    public Verdict take(Rate rate, String key, long cost) {
      return counts.take(rate, key, cost);
    }

    @Override
    public Verdict backOff(Backoff backoff, String key) {
      return counts.backOff(backoff, key);
    }

    @Override
    public void reset(Backoff backoff, String key) {
      counts.reset(backoff, key);
    }
  }
}
