CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`email` text NOT NULL,
	`role` text NOT NULL,
	`source` text,
	`secret_hash` text NOT NULL,
	`created` integer NOT NULL,
	`revoked` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `api_keys_org` ON `api_keys` (`org_id`);--> statement-breakpoint
CREATE TABLE `entities` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`source` text NOT NULL,
	`name` text NOT NULL,
	`created` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `entities_org_source_name` ON `entities` (`org_id`,`source`,`name`);--> statement-breakpoint
CREATE TABLE `event_types` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`source` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`created` integer NOT NULL,
	`created_by` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `event_types_org_source_name` ON `event_types` (`org_id`,`source`,`name`);--> statement-breakpoint
CREATE TABLE `notification_actions` (
	`condition_id` text NOT NULL,
	`webhook_id` text NOT NULL,
	`position` integer NOT NULL,
	PRIMARY KEY(`condition_id`, `webhook_id`),
	FOREIGN KEY (`condition_id`) REFERENCES `notification_conditions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`webhook_id`) REFERENCES `webhooks`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notification_actions_webhook` ON `notification_actions` (`webhook_id`);--> statement-breakpoint
CREATE TABLE `notification_conditions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`rate_plan_id` text NOT NULL,
	`published_only` integer NOT NULL,
	`usage_target` text NOT NULL,
	`created` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notification_conditions_org_plan` ON `notification_conditions` (`org_id`,`rate_plan_id`);--> statement-breakpoint
CREATE INDEX `notification_conditions_org_created` ON `notification_conditions` (`org_id`,`created`);--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created` integer NOT NULL,
	`display_name` text,
	`accent_color` text,
	`frame_ancestors` text DEFAULT '[]' NOT NULL
);
--> statement-breakpoint
CREATE TABLE `portal_links` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`key_id` text,
	`email` text NOT NULL,
	`source` text,
	`entities` text,
	`session_seconds` integer NOT NULL,
	`return_url` text,
	`created` integer NOT NULL,
	`expires` integer NOT NULL,
	`opened` integer,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `portal_links_org` ON `portal_links` (`org_id`);--> statement-breakpoint
CREATE INDEX `portal_links_key` ON `portal_links` (`key_id`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`post_url` text NOT NULL,
	`enabled` integer NOT NULL,
	`description` text,
	`source` text,
	`entity` text,
	`events` text DEFAULT '[]' NOT NULL,
	`secret` text NOT NULL,
	`previous_secret` text,
	`previous_secret_expires` integer,
	`created` integer NOT NULL,
	`created_by` text NOT NULL,
	`updated` integer NOT NULL,
	`updated_by` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `webhooks_org_source` ON `webhooks` (`org_id`,`source`,`enabled`);--> statement-breakpoint
CREATE INDEX `webhooks_org_created` ON `webhooks` (`org_id`,`created`);