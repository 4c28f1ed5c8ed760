CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`job` text NOT NULL,
	`attempts` integer NOT NULL,
	`received` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`source` text NOT NULL,
	`type` text NOT NULL,
	`entity` text,
	`idempotency_key` text,
	`data` text NOT NULL,
	`targets` text,
	`created` integer NOT NULL,
	`webhook_ids` text,
	`fanned_out` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_id_unique` ON `events` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `events_idempotency` ON `events` (`org_id`,`source`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `events_not_fanned_out` ON `events` (`org_id`,`seq`) WHERE fanned_out IS NULL;--> statement-breakpoint
CREATE INDEX `events_org_created` ON `events` (`org_id`,`created`);--> statement-breakpoint
CREATE TABLE `fanout_chunks` (
	`seq` integer NOT NULL,
	`chunk` integer NOT NULL,
	PRIMARY KEY(`seq`, `chunk`),
	FOREIGN KEY (`seq`) REFERENCES `events`(`seq`) ON UPDATE no action ON DELETE cascade
);
