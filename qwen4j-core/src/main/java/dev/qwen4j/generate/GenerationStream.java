package dev.qwen4j.generate;

import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A generation running on a background thread, read as an iterator of events; the last event is
 * {@link GenerationEvent.Done}. The generator waits when the reader falls {@value #BUFFERED_EVENTS} events
 * behind, so a slow reader slows it down instead of piling up text. Closing the stream early cancels the
 * generation and waits for it to stop.
 */
public final class GenerationStream implements Iterator<GenerationEvent>, AutoCloseable {
    private record Failure(Throwable error) {
    }

    private static final int BUFFERED_EVENTS = 64;

    private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>(BUFFERED_EVENTS);
    private final Session.Run run = new Session.Run();
    private final Thread worker;
    private GenerationEvent next;
    private boolean finished;

    GenerationStream(Session session, GenerationRequest request) {
        worker = Thread.ofPlatform().daemon().name("qwen4j-generate").start(() -> {
            try {
                session.generate(request, this::put, run);
            } catch (Throwable t) {
                put(new Failure(t));
            }
        });
    }

    @Override
    public boolean hasNext() {
        if (next != null) return true;
        if (finished) return false;
        Object item;
        try {
            item = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel();
            throw new IllegalStateException("interrupted while waiting for the next token", e);
        }
        if (item instanceof Failure f) {
            finished = true;
            if (f.error instanceof RuntimeException r) throw r;
            if (f.error instanceof Error e) throw e;
            throw new IllegalStateException(f.error);
        }
        next = (GenerationEvent) item;
        if (next instanceof GenerationEvent.Done) finished = true;
        return true;
    }

    @Override
    public GenerationEvent next() {
        if (!hasNext()) throw new NoSuchElementException();
        GenerationEvent e = next;
        next = null;
        return e;
    }

    /** Asks the generation to stop before its next token. */
    public void cancel() {
        run.cancelled = true;
    }

    private void put(Object item) {
        try {
            queue.put(item);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            run.cancelled = true;
        }
    }

    @Override
    public void close() {
        cancel();
        try {
            while (worker.isAlive()) {
                queue.clear(); // unblock a generator waiting for room
                worker.join(10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        finished = true;
        next = null;
    }
}
