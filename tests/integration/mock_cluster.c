/*
 * mock_cluster: a stand-in Kafka cluster for developing the integration
 * tests without brokerd.  It starts librdkafka's mock cluster (in-memory,
 * nothing durable), prints its bootstrap address on one line of stdout and
 * serves until SIGTERM or SIGINT.  librdkafka runs the cluster on its own
 * thread; the main thread only waits for the signal.
 *
 * usage: mock_cluster [BROKERS]    (default 1 broker)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* Returns the number of brokers asked for on the command line, or exits. */
static int mock_cluster_parse_brokers(int argc, char **argv)
{
	if (argc < 2)
		return 1;
	char *end;
	long n = strtol(argv[1], &end, 10);
	if (argc > 2 || *end || n < 1 || n > 16) {
		fprintf(stderr, "usage: mock_cluster [BROKERS 1..16]\n");
		exit(2);
	}
	return (int)n;
}

int main(int argc, char **argv)
{
	int brokers = mock_cluster_parse_brokers(argc, argv);
	char errstr[512];
	sigset_t set;
	int sig;

	/* Block the stop signals before librdkafka starts its threads, so
	 * they inherit the mask and only sigwait() below sees them. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	/* The mock cluster needs a client handle to live in; a producer
	 * without bootstrap servers never connects anywhere itself. */
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr,
				      sizeof errstr);
	if (!rk) {
		fprintf(stderr, "mock_cluster: rd_kafka_new: %s\n", errstr);
		return 1;
	}
	rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk,
								      brokers);
	if (!mcluster) {
		fprintf(stderr, "mock_cluster: cannot create mock cluster\n");
		rd_kafka_destroy(rk);
		return 1;
	}
	printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
	fflush(stdout);

	if (sigwait(&set, &sig) != 0)
		sig = 0;
	fprintf(stderr, "mock_cluster: signal %d, stopping\n", sig);
	rd_kafka_mock_cluster_destroy(mcluster);
	rd_kafka_destroy(rk);
	return 0;
}
