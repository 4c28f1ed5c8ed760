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
CREATE TABLE `notification_firings` (
	`org_id` text NOT NULL,
	`developer` text NOT NULL,
	`rate_plan_id` text NOT NULL,
	`cycle` integer NOT NULL,
	`condition_id` text NOT NULL,
	`threshold` integer NOT NULL,
	`transactions` integer NOT NULL,
	`quota_target` integer NOT NULL,
	`trigger_time` integer NOT NULL,
	`state` text NOT NULL,
	`event_id` text,
	`lease_until` integer NOT NULL,
	PRIMARY KEY(`org_id`, `developer`, `rate_plan_id`, `cycle`, `condition_id`, `threshold`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`condition_id`) REFERENCES `notification_conditions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `notification_firings_condition` ON `notification_firings` (`condition_id`);--> statement-breakpoint
CREATE INDEX `notification_firings_pending` ON `notification_firings` (`lease_until`) WHERE state = 'pending';--> statement-breakpoint
CREATE TABLE `usage_counters` (
	`org_id` text NOT NULL,
	`developer` text NOT NULL,
	`rate_plan_id` text NOT NULL,
	`cycle` integer NOT NULL,
	`transactions` integer NOT NULL,
	`previous` integer NOT NULL,
	`quota_target` integer NOT NULL,
	`previous_quota_target` integer NOT NULL,
	`report` text NOT NULL,
	`updated` integer NOT NULL,
	PRIMARY KEY(`org_id`, `developer`, `rate_plan_id`, `cycle`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
